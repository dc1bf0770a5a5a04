import {
  type Bindings,
  type ChildLoggerOptions,
  type Logger,
  type LoggerOptions,
  pino,
} from "pino";

/**
 * Field names that hold a credential wherever they appear: request bodies
 * (form and JSON), token responses, errors that carry their input. Both the
 * wire spelling and the camelCase one.
 */
const SECRET_FIELDS = [
  "password",
  "current_password",
  "new_password",
  "currentPassword",
  "newPassword",
  "token",
  "refresh_token",
  "refreshToken",
  "access_token",
  "accessToken",
  "id_token",
  "client_secret",
  "clientSecret",
  "secret",
  "_csrf",
  "csrfToken",
  "setupToken",
  "cookie",
  "authorization",
];

/** Headers that carry a credential, in any object that has `headers`. */
const SECRET_HEADERS = ["cookie", "authorization", '["set-cookie"]', '["x-csrf-token"]'];

const header = (name: string) => (name.startsWith("[") ? `headers${name}` : `headers.${name}`);

/**
 * Paths that can carry a credential. Redacted at the logger so no code path
 * can leak one by logging a request, a response or an error with its input.
 * pino's wildcards match one level each: fields are covered at the top and
 * up to two objects deep (`body.password`, `req.body.password`), headers
 * under any object up to two deep (`req.headers.cookie`).
 */
export const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  ...SECRET_HEADERS.flatMap((name) => [header(name), `*.${header(name)}`, `*.*.${header(name)}`]),
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    base: { service: "tessera" },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      // Path only: query strings can carry secrets (the one-time setup link).
      req: (req: { method?: string; url?: string; ip?: string; id?: string }) => ({
        id: req.id,
        method: req.method,
        path: typeof req.url === "string" ? req.url.split("?")[0] : undefined,
        ip: req.ip,
      }),
    },
  };
}

/** A pino JSON logger (to stdout unless a destination is given). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * A request's logger that becomes a real pino child only when the request
 * logs at an enabled level. Fastify makes one child per request to bind its
 * `reqId`, and pino runs a child's bindings through the redactor: about 8 µs
 * per request (bench/README.md), paid even at LOG_LEVEL=warn by requests that
 * write nothing. Output is unchanged: the first line logged creates the
 * child with the same bindings, so redaction applies exactly as before.
 */
class LazyChildLogger {
  #child: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): Logger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    (this.real[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.write("error", args);
  }
  warn(...args: unknown[]): void {
    this.write("warn", args);
  }
  info(...args: unknown[]): void {
    this.write("info", args);
  }
  debug(...args: unknown[]): void {
    this.write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.write("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: per-request loggers made on first use (see LazyChildLogger). */
export function lazyRequestLogger(
  logger: Logger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): Logger {
  return new LazyChildLogger(logger, bindings, options) as unknown as Logger;
}

export type { Logger };
