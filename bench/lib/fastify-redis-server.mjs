#!/usr/bin/env node
// REFERENCE for `npm run bench:session-redis`: a bare Fastify route doing one
// ioredis GET of a small JSON value and answering it: the floor of "one Redis
// round trip per request" on this machine. No sessions, no cookies.
//
//   GET /get   one GET of `<BENCH_REDIS_PREFIX>value`, answered as JSON
//
// Env: PORT, HOST, BENCH_REDIS_URL, BENCH_REDIS_PREFIX.
import Fastify from "fastify";
import Redis from "ioredis";

const redis = new Redis(process.env.BENCH_REDIS_URL);
const key = `${process.env.BENCH_REDIS_PREFIX ?? "ref:"}value`;
await redis.set(
  key,
  JSON.stringify({
    id: "8Qm0ZJb3y3nTq1pLx2Vd6w",
    email: "bench@example.com",
    emailVerified: false,
  }),
);

const app = Fastify({ logger: false });
app.get("/get", async () => ({ user: JSON.parse(await redis.get(key)) }));

const address = await app.listen({
  port: Number(process.env.PORT),
  host: process.env.HOST ?? "127.0.0.1",
});
console.log(`fastify + ioredis listening on ${address}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await app.close();
    await redis.quit();
    process.exit(0);
  });
}
