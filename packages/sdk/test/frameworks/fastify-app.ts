import Fastify from "fastify";
import { requireAuth, requireScope, tessera } from "../../src/fastify.js";
import type { StartApp } from "./app-under-test.js";

/** The app under test on Fastify 5. */
export const startFastifyApp: StartApp = async (options) => {
  const app = Fastify();
  await app.register(tessera, options);
  const whoami = async (request: { auth: unknown }) => ({ auth: request.auth });
  app.get("/whoami", whoami);
  app.get("/private", { preHandler: requireAuth() }, whoami);
  app.post("/private", { preHandler: requireAuth() }, whoami);
  app.get("/orders", { preHandler: requireScope("api") }, whoami);
  app.get("/admin", { preHandler: requireScope("api", "admin") }, whoami);
  // Every other path needs a sign-in too (then 404): where hostile targets land.
  app.setNotFoundHandler({ preHandler: requireAuth() }, async (_request, reply) =>
    reply.code(404).send({ auth: null }),
  );
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url: address, close: () => app.close() };
};
