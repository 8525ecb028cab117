import { z } from "zod";

export const IdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const TimestampSchema = z.iso.datetime({ offset: true }).describe("ISO 8601 timestamp");
export const LimitSchema = (max: number, fallback: number) =>
  z.number().int().min(1).max(max).default(fallback);
