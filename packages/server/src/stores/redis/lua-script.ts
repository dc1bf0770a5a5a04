import { createHash } from "node:crypto";
import type { RedisClient } from "./redis-connection.js";

/**
 * A Lua script run with EVALSHA, falling back to EVAL the first time a node
 * has not cached it (NOSCRIPT). All `keys` must hash to one slot: a script is
 * atomic on one node only.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
