import type { Health } from "@causette/contracts";

import type { ServiceDeps } from "./deps.ts";

export function createSystemService(deps: ServiceDeps) {
  return {
    async health(): Promise<Health> {
      const up = await deps.ping();
      return {
        status: up ? "ok" : "degraded",
        database: up ? "up" : "down",
        uptime: Math.round((Date.now() - deps.startedAt) / 1000),
      };
    },
  };
}
