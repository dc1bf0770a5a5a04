import { describe, expect, it } from "vitest";
import { demoEnabled } from "../../../src/config/demo-enabled.js";
import { loadConfig } from "../../../src/config/load-config.js";

describe("demoEnabled (TESSERA_DEMO)", () => {
  it("auto: on for a plain-HTTP loopback issuer, the embedded default", () => {
    for (const issuer of [
      "http://localhost:3000",
      "http://127.0.0.1:8080",
      "http://[::1]:3000",
      "http://tessera.localhost",
    ])
      expect(demoEnabled({ demo: "auto", issuer }), issuer).toBe(true);
  });

  it("auto: off for anything that looks like a deployment", () => {
    for (const issuer of [
      "https://auth.example.com",
      "https://localhost:3000",
      "http://auth.example.com",
      "http://localhost.example.com",
      "http://10.0.0.5:3000",
    ])
      expect(demoEnabled({ demo: "auto", issuer }), issuer).toBe(false);
  });

  it("on and off win over the issuer", () => {
    expect(demoEnabled({ demo: "on", issuer: "https://auth.example.com" })).toBe(true);
    expect(demoEnabled({ demo: "off", issuer: "http://localhost:3000" })).toBe(false);
  });

  it("defaults to auto", () => {
    const result = loadConfig({ TESSERA_DATA_DIR: "/tmp/x" });
    expect(result.ok && result.config.demo).toBe("auto");
  });
});
