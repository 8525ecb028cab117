import { z } from "zod";

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["up", "down"]),
    uptime: z.number(),
  })
  .meta({ id: "Health" });
export type Health = z.infer<typeof HealthSchema>;
