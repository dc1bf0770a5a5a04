import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, lazyRequestLogger } from "../../../src/observability/logger.js";

/** A logger writing to memory, and everything it wrote so far. */
function capture(level = "trace") {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { logger: createLogger(level, stream), text: () => text };
}

const SECRET = "s3cr3t-value-that-must-not-leak";

describe("logger redaction", () => {
  it.each([
    ["a password at the top", { password: SECRET }],
    ["a password in a body", { body: { password: SECRET, email: "a@b.co" } }],
    ["a password two levels down", { request: { body: { new_password: SECRET } } }],
    ["a current password (camelCase)", { input: { currentPassword: SECRET } }],
    ["a refresh token in a response", { res: { refresh_token: SECRET } }],
    ["an access token", { access_token: SECRET }],
    ["a client secret", { client: { client_secret: SECRET } }],
    ["a form CSRF token", { body: { _csrf: SECRET } }],
    ["a csrfToken", { session: { csrfToken: SECRET } }],
    ["a generic token field", { token: SECRET }],
    // (`req` itself is reduced to id, method, path and ip by its serializer: below.)
    ["the Cookie header", { request: { headers: { cookie: `__Host-tessera_session=${SECRET}` } } }],
    ["the Authorization header", { upstream: { headers: { authorization: `Bearer ${SECRET}` } } }],
    ["x-csrf-token", { request: { headers: { "x-csrf-token": SECRET } } }],
    ["a header two objects down", { err: { response: { headers: { "set-cookie": SECRET } } } }],
    ["Set-Cookie", { res: { headers: { "set-cookie": [`a=${SECRET}`] } } }],
    ["headers of an error", { err: { headers: { authorization: SECRET } } }],
    ["headers at the top", { headers: { cookie: SECRET } }],
  ])("redacts %s", (_name, fields) => {
    const { logger, text } = capture();
    logger.info(fields, "something happened");
    expect(text()).toContain("something happened");
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain("[redacted]");
  });

  it("logs a request by path only: no query string, no headers", () => {
    const { logger, text } = capture();
    logger.info(
      {
        req: {
          id: "r1",
          method: "GET",
          url: `/setup?token=${SECRET}`,
          ip: "192.0.2.1",
          headers: { cookie: SECRET },
        },
      },
      "incoming request",
    );
    const line = JSON.parse(text()) as { req: Record<string, unknown> };
    expect(line.req).toEqual({ id: "r1", method: "GET", path: "/setup", ip: "192.0.2.1" });
  });

  it("keeps fields that merely resemble secrets' neighbours (control)", () => {
    const { logger, text } = capture();
    logger.warn({ csrf: "origin", sid: "public-session-id", code: "csrf_failed" }, "refused");
    expect(JSON.parse(text())).toMatchObject({
      csrf: "origin",
      sid: "public-session-id",
      code: "csrf_failed",
    });
  });
});

describe("per-request loggers (lazyRequestLogger)", () => {
  function counted(level: string) {
    const { logger, text } = capture(level);
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof child>) => {
      children += 1;
      return child(...args);
    }) as typeof logger.child;
    return { logger, text, children: () => children };
  }

  it("makes no pino child for a request that logs below the level", () => {
    const { logger, text, children } = counted("warn");
    const log = lazyRequestLogger(logger, { reqId: "r-1" }, {});
    log.info({ req: { id: "r-1" } }, "incoming request");
    log.debug("details");
    expect(log.isLevelEnabled("info")).toBe(false);
    expect(log.level).toBe("warn");
    expect(children()).toBe(0);
    expect(text()).toBe("");
  });

  it("writes enabled lines with the request's bindings, through one child, redacted", () => {
    const { logger, text, children } = counted("info");
    const log = lazyRequestLogger(logger, { reqId: "r-2" }, {});
    log.info({ body: { password: SECRET } }, "first");
    log.warn("second");
    log.error(new Error("third"), "third");
    expect(children()).toBe(1);
    const lines = text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.reqId, l.msg])).toEqual([
      ["r-2", "first"],
      ["r-2", "second"],
      ["r-2", "third"],
    ]);
    expect(text()).not.toContain(SECRET);
    expect(lines[0].body.password).toBe("[redacted]");
  });

  it("a level set on the request's logger applies to it alone", () => {
    const { logger, text } = counted("warn");
    const log = lazyRequestLogger(logger, { reqId: "r-3" }, {});
    log.level = "debug";
    log.debug("now visible");
    logger.debug("parent still quiet");
    expect(text()).toContain("now visible");
    expect(text()).not.toContain("parent still quiet");
  });
});
