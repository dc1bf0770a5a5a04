import pg from "pg";
import type { AuditEvent } from "../../audit/events.js";
import { TesseraError } from "../../shared/errors.js";

/** Pool bounds of a PostgreSQL deployment (docs/decisions/0034). */
export interface PostgresPoolOptions {
  /** Most connections this instance opens. Default 10. */
  readonly poolMax?: number;
  /** Give up opening a connection (or waiting for a free one) after this. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** The server cancels any statement running longer. Default 10000 ms. */
  readonly statementTimeoutMs?: number;
  /**
   * Told about errors of idle connections (the server restarted, the network
   * dropped them); the pool replaces them. Default: ignored.
   */
  readonly onError?: (error: Error) => void;
}

/** What a store method runs SQL through: the pool, or one open transaction. */
export interface Sql {
  query<R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** Rows changed by an INSERT/UPDATE/DELETE. */
  execute(text: string, values?: readonly unknown[]): Promise<number>;
}

/** A transaction: SQL on one connection, plus the audit events to announce after COMMIT. */
export interface Transaction extends Sql {
  /**
   * Lock the audit chain's head row (held until the transaction ends) and
   * return it. Every transaction takes it as its last lock, so appends are
   * serialized and commit in seq order.
   */
  lockChain(): Promise<ChainHead>;
  /** Events this transaction wrote, announced to listeners once it has committed. */
  readonly written: AuditEvent[];
}

/** The newest link of the audit chain. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** Listens to committed audit events (see AuditLog.subscribe). */
export type CommittedListener = (events: readonly AuditEvent[]) => void;

/**
 * BIGINT (int8) columns carry millisecond times and seqs: read them as
 * numbers. Done per pool (the `types` option), never via the global
 * `pg.types`, so other pg users in the process keep their parsing.
 */
const INT8_OID = 20;
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`integer ${value} is beyond 2^53`);
  return n;
}
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** Socket-level failures: the server is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs that mean "the store is unavailable" rather than "this request is
 * wrong": connection exceptions (class 08), the server shutting down or
 * starting (57P01–57P03), too many connections (53300), and a statement
 * cancelled by statement_timeout (57014).
 */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code)) return true;
    if (code.startsWith("08") || ["57P01", "57P02", "57P03", "53300", "57014"].includes(code))
      return true;
  }
  // pg's own messages for a dead connection, a connect timeout and query_timeout.
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Cannot use a pool after calling end/.test(
    error.message,
  );
}

/** PostgreSQL refuses NUL bytes and invalid UTF-8 in text: that is the caller's input. */
function isBadText(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "22021" || code === "22P05";
}

/** A driver error, as callers should see it. */
export function storeError(error: unknown): unknown {
  if (error instanceof TesseraError) return error;
  if (isUnavailable(error)) return new TesseraError("store_unavailable", { cause: error });
  if (isBadText(error))
    return new TesseraError("invalid_request", {
      detail: "The request contains characters that cannot be stored",
      cause: error,
    });
  return error;
}

/** A promise-chain mutex: one holder at a time, in arrival order. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }
}

function sqlOn(client: pg.Pool | pg.PoolClient): Sql {
  return {
    async query<R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []) {
      return (await client.query<R>(text, values as unknown[])).rows;
    },
    async execute(text: string, values: readonly unknown[] = []) {
      return (await client.query(text, values as unknown[])).rowCount ?? 0;
    },
  };
}

/**
 * The connection pool every PostgreSQL store shares, with the bounds that keep
 * a request from hanging on a dead server, transactions that map driver errors
 * to `TesseraError`s, and the local side of the audit chain lock.
 */
export class PostgresDatabase implements Sql {
  readonly pool: pg.Pool;
  private readonly direct: Sql;
  /**
   * Mirrors the chain lock inside this process: at most one local transaction
   * waits on (or holds) it, and a transaction's events are announced before the
   * next local one can append, so listeners hear committed events in seq order.
   */
  private readonly chain = new Mutex();
  private readonly listeners = new Set<CommittedListener>();

  constructor(url: string, options: PostgresPoolOptions = {}) {
    const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      // The server cancels a slow statement; the client gives up a little later
      // when the server (or the network to it) no longer answers at all.
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 2_000,
      // A transaction left open (its client stalled) must not hold the chain lock.
      idle_in_transaction_session_timeout: statementTimeoutMs * 3,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: "tessera",
      types,
    });
    const onError = options.onError ?? (() => {});
    // An idle connection that dies must not crash the process (pg rethrows
    // unhandled `error` events); the pool drops it and opens a new one later.
    this.pool.on("error", onError);
    this.direct = sqlOn(this.pool);
  }

  async query<R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) {
    try {
      return await this.direct.query<R>(text, values);
    } catch (error) {
      throw storeError(error);
    }
  }

  async execute(text: string, values?: readonly unknown[]): Promise<number> {
    try {
      return await this.direct.execute(text, values);
    } catch (error) {
      throw storeError(error);
    }
  }

  /**
   * Run `work` in one transaction (READ COMMITTED; row locks make the
   * race-sensitive steps atomic) and commit; roll back and rethrow on any
   * error. Audit events the transaction wrote are announced after COMMIT.
   */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError(error);
    }
    // A checked-out client whose connection dies emits `error` too; without a
    // listener that would crash the process. The failing query reports it.
    const ignore = () => {};
    client.on("error", ignore);
    let releaseChain: (() => void) | null = null;
    let broken = false;
    const sql = sqlOn(client);
    const tx: Transaction = {
      ...sql,
      written: [],
      lockChain: async () => {
        releaseChain ??= await this.chain.acquire();
        const [head] = await sql.query<ChainHead>(
          "SELECT seq, hash FROM audit_head WHERE singleton = 1 FOR UPDATE",
        );
        if (!head) throw new Error("audit_head is missing: the schema was not migrated");
        return head;
      },
    };
    try {
      await client.query("BEGIN");
      const result = await work(tx);
      await client.query("COMMIT");
      this.announce(tx.written);
      return result;
    } catch (error) {
      // On a dead or silent connection a ROLLBACK would only wait out another
      // timeout: drop the connection instead, which rolls back server-side.
      broken = isUnavailable(error);
      if (!broken) {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
      }
      throw storeError(error);
    } finally {
      (releaseChain as (() => void) | null)?.();
      client.off("error", ignore);
      client.release(broken);
    }
  }

  /** Hear committed audit events of this pool, in seq order. */
  subscribe(listener: CommittedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private announce(events: readonly AuditEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        // A listener (metrics, detection) must not break writers or its peers.
        process.emitWarning(`audit listener failed: ${String(error)}`);
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
