import type { Health, Liveness, Readiness } from "@causette/contracts";

import type { ServiceDeps } from "./deps.ts";

export function createSystemService(deps: ServiceDeps) {
  const uptime = () => Math.round((Date.now() - deps.startedAt) / 1000);
  return {
    async health(): Promise<Health> {
      const up = await deps.ping();
      const redis = deps.redisState();
      return {
        status: up && redis !== "down" ? "ok" : "degraded",
        database: up ? "up" : "down",
        ...(redis ? { redis } : {}),
        uptime: uptime(),
      };
    },
    live(): Liveness {
      return { status: "ok", uptime: uptime() };
    },
    async ready(): Promise<Readiness> {
      const database = (await deps.ping()) ? "up" : "down";
      const redis = deps.redisState();
      const ready = database === "up" && redis !== "down";
      return { status: ready ? "ready" : "unavailable", database, ...(redis ? { redis } : {}) };
    },
  };
}
