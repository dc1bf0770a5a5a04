import type { Request as ExpressRequest, RequestHandler } from "express";
import type { FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as express from "../src/express.js";
import * as fastify from "../src/fastify.js";
import * as hono from "../src/hono.js";
import type { Auth, MiddlewareOptions } from "../src/types.js";

/**
 * The middleware's public types, checked by `npm run typecheck` (this file is
 * part of the SDK's tsconfig); the runtime assertions only keep vitest honest.
 */
describe("middleware types", () => {
  it("Express: req.auth is Auth | null, and the handlers fit app.use / routes", () => {
    expectTypeOf<ExpressRequest["auth"]>().toEqualTypeOf<Auth | null>();
    expectTypeOf(express.tessera).parameter(0).toEqualTypeOf<MiddlewareOptions>();
    expectTypeOf<ReturnType<typeof express.tessera>>().toExtend<RequestHandler>();
    expectTypeOf(express.requireAuth()).toExtend<RequestHandler>();
    expectTypeOf(express.requireScope).parameters.toEqualTypeOf<string[]>();
    expect(typeof express.requireAuth).toBe("function");
  });

  it("Fastify: request.auth is Auth | null, guards are preHandler hooks", () => {
    expectTypeOf<FastifyRequest["auth"]>().toEqualTypeOf<Auth | null>();
    expectTypeOf(fastify.requireAuth()).toEqualTypeOf<preHandlerAsyncHookHandler>();
    expectTypeOf(fastify.requireScope("api")).toEqualTypeOf<preHandlerAsyncHookHandler>();
    expect(typeof fastify.tessera).toBe("function");
  });

  it("Hono: c.get('auth') is Auth | null in a Hono<TesseraEnv>", () => {
    const app = new Hono<hono.TesseraEnv>();
    expectTypeOf(hono.requireAuth()).toEqualTypeOf<MiddlewareHandler<hono.TesseraEnv>>();
    app.get("/", (c: Context<hono.TesseraEnv>) => {
      expectTypeOf(c.get("auth")).toEqualTypeOf<Auth | null>();
      return c.text("ok");
    });
    expect(app.routes).toHaveLength(1);
  });

  it("Auth is read-only", () => {
    expectTypeOf<Auth["scope"]>().toEqualTypeOf<readonly string[]>();
    // @ts-expect-error: auth is read-only
    const mutate = (auth: Auth) => (auth.sub = "someone else");
    expect(typeof mutate).toBe("function");
  });
});
