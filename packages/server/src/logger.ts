import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config.js";

/** Paths pino replaces with "[redacted]" wherever they appear: secrets never reach a log line. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "authorization",
  "key",
  "token",
  "secret",
  "rootToken",
  "masterKey",
  "*.key",
  "*.token",
  "*.secret",
  "*.authorization",
  "*.rootToken",
  "*.masterKey",
];

/** Builds the process logger (JSON lines on stdout unless a destination is given). */
export function createLogger(config: Pick<Config, "logLevel">, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      base: { service: "keyward" },
    },
    destination,
  );
}
