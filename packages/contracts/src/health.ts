import { z } from "zod";

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["up", "down"]),
    /** Only with REDIS_URL: whether this node shares events with the others. */
    redis: z.enum(["up", "down"]).optional(),
    uptime: z.number(),
  })
  .meta({ id: "Health" });
export type Health = z.infer<typeof HealthSchema>;

/** `GET /api/health/live`: the process answers (nothing else is checked). */
export const LivenessSchema = z
  .object({
    status: z.literal("ok"),
    uptime: z.number(),
  })
  .meta({ id: "Liveness" });
export type Liveness = z.infer<typeof LivenessSchema>;

/** `GET /api/health/ready`: every dependency reachable (503 otherwise); `redis` only when configured. */
export const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    database: z.enum(["up", "down"]),
    redis: z.enum(["up", "down"]).optional(),
  })
  .meta({ id: "Readiness" });
export type Readiness = z.infer<typeof ReadinessSchema>;
