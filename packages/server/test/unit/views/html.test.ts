import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml, html, SafeHtml } from "../../../src/http/views/html.js";

const decode = (s: string) =>
  s
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&#96;", "`")
    .replaceAll("&amp;", "&");

describe("escapeHtml", () => {
  it("escapes every character that can open markup or end an attribute", () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).toBe(
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;",
    );
  });

  it("returns text without special characters unchanged, call after call", () => {
    for (let i = 0; i < 3; i++) {
      expect(escapeHtml("alice@example.com")).toBe("alice@example.com");
      expect(escapeHtml("a<b")).toBe("a&lt;b");
    }
  });

  it("never lets a special character through, and loses nothing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const out = escapeHtml(s);
        expect(out).not.toMatch(/[<>"'`]/);
        expect(out.replace(/&(amp|lt|gt|quot|#39|#96);/g, "")).not.toContain("&");
        expect(decode(out)).toBe(s);
      }),
    );
  });
});

describe("html", () => {
  it("escapes interpolated strings but not SafeHtml, and drops null, undefined and false", () => {
    const inner = html`<b>${"<i>"}</b>`;
    const out = html`<p title="${'"x"'}">${inner}${null}${undefined}${false}${["<", new SafeHtml("<br>")]}${7}</p>`;
    expect(out.value).toBe('<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&lt;<br>7</p>');
  });
});
