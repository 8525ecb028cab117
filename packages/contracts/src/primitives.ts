import { z } from "zod";

export const IdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const TimestampSchema = z.iso.datetime({ offset: true }).describe("ISO 8601 timestamp");
export const LimitSchema = (max: number, fallback: number) =>
  z.number().int().min(1).max(max).default(fallback);

/** PostgreSQL text cannot hold U+0000: refused here, as the client's mistake, rather than failing in the database. */
export const withoutNul = (s: string) => !s.includes("\u0000");
export const NUL_MESSAGE = "must not contain the NUL character (U+0000)";
