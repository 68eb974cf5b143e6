import { pino, type Logger } from "pino";

export type { Logger };

/** The process logger: pino JSON lines on stderr, secrets redacted by key. */
export function createLogger(level = process.env.SHIPYARD_LOG_LEVEL ?? "info", name = "shipyard"): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        paths: ["token", "*.token", "authorization", "*.authorization", "password", "*.password", "headers.authorization"],
        censor: "[redacted]",
      },
    },
    pino.destination(2),
  );
}
