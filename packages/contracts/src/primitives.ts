import { z } from "zod";

export const IdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const TimestampSchema = z.iso.datetime({ offset: true }).describe("ISO 8601 timestamp");
export const LimitSchema = (max: number, fallback: number) => z.number().int().min(1).max(max).default(fallback);

/** Text that PostgreSQL can store: anything but the NUL character, which `text` cannot hold. */
export const PlainTextSchema = z.string().refine((s) => !s.includes("\u0000"), "must not contain the NUL character");
