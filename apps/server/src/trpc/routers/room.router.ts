import { restRoutes } from "@causette/contracts";

import { authedRoute, router } from "../trpc.ts";

export const roomRouter = router({
  list: authedRoute(restRoutes["room.list"]).query(({ ctx }) => ctx.services.rooms.list(ctx.caller)),
  create: authedRoute(restRoutes["room.create"]).mutation(async ({ ctx, input }) => {
    const { room, created } = await ctx.services.rooms.create(ctx.caller, input);
    ctx.http.status = created ? 201 : 200;
    return room;
  }),
  changes: authedRoute(restRoutes["room.changes"]).query(({ ctx, input }) =>
    ctx.services.rooms.changes(ctx.caller, input),
  ),
  markRead: authedRoute(restRoutes["room.markRead"]).mutation(({ ctx, input }) =>
    ctx.services.rooms.markRead(ctx.caller, input),
  ),
});
