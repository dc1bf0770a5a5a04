/** Where the SDK writes its few log lines (default: `console`). pino and most loggers fit. */
export interface SdkLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** The default logger: console, with a prefix saying who speaks. */
export const consoleLogger: SdkLogger = {
  warn: (message) => console.warn(`[@tessera/sdk] ${message}`),
  error: (message) => console.error(`[@tessera/sdk] ${message}`),
};
