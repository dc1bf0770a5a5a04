import { type Logger, type LoggerOptions, pino } from "pino";

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

export type { Logger };
