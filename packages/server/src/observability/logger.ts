import { type Logger, type LoggerOptions, pino } from "pino";

/**
 * Paths that can carry a credential. Redacted at the logger so no code path
 * can leak one by logging a request, a response or an error with its input.
 */
export const REDACT_PATHS = [
  "req.headers.cookie",
  "req.headers.authorization",
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  "password",
  "*.password",
  "current_password",
  "*.current_password",
  "new_password",
  "*.new_password",
  "currentPassword",
  "newPassword",
  "*.newPassword",
  "*.currentPassword",
  "token",
  "*.token",
  "refresh_token",
  "*.refresh_token",
  "access_token",
  "*.access_token",
  "_csrf",
  "*._csrf",
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
