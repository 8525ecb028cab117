import { restRoutes } from "@causette/contracts";

import { publicRoute, router } from "../trpc.ts";

export const systemRouter = router({
  health: publicRoute(restRoutes["system.health"]).query(async ({ ctx }) => {
    const health = await ctx.services.system.health();
    if (health.database === "down") ctx.http.status = 503;
    return health;
  }),
  live: publicRoute(restRoutes["system.live"]).query(({ ctx }) => ctx.services.system.live()),
  ready: publicRoute(restRoutes["system.ready"]).query(async ({ ctx }) => {
    const readiness = await ctx.services.system.ready();
    if (readiness.status !== "ready") ctx.http.status = 503;
    return readiness;
  }),
});
