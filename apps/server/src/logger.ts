import { pino, type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

export interface LoggerOptions {
  /** One readable line per event (development), instead of one JSON object per line. */
  pretty?: boolean;
  /** Where lines go (default: standard output). */
  destination?: DestinationStream;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const destination =
    options.destination ??
    (options.pretty
      ? pretty({ singleLine: true, ignore: "pid,hostname", translateTime: "SYS:HH:MM:ss.l" })
      : undefined);
  const settings = {
    level,
    // Secrets never reach the log, whichever object carries them.
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "passwordHash",
        "*.passwordHash",
        "req.headers.authorization",
        "req.headers.cookie",
        'res.headers["set-cookie"]',
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(settings, destination) : pino(settings);
}
