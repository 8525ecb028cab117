import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Secrets never reach the log, whichever object carries them.
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "req.headers.authorization",
        "req.headers.cookie",
        "passwordHash",
        "*.passwordHash",
      ],
      censor: "[redacted]",
    },
  });
}
