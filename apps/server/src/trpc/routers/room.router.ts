import { restRoutes } from "@causette/contracts";

import { authedRoute, router } from "../trpc.ts";

export const roomRouter = router({
  list: authedRoute(restRoutes["room.list"]).query(({ ctx, input }) => ctx.services.rooms.list(ctx.caller, input)),
  create: authedRoute(restRoutes["room.create"]).mutation(async ({ ctx, input }) => {
    const { room, created } = await ctx.services.rooms.create(ctx.caller, input);
    ctx.http.status = created ? 201 : 200;
    return room;
  }),
  discover: authedRoute(restRoutes["room.discover"]).query(({ ctx, input }) =>
    ctx.services.rooms.discover(ctx.caller, input),
  ),
  get: authedRoute(restRoutes["room.get"]).query(({ ctx, input }) => ctx.services.rooms.view(ctx.caller, input.id)),
  update: authedRoute(restRoutes["room.update"]).mutation(({ ctx, input }) =>
    ctx.services.rooms.update(ctx.caller, input),
  ),
  join: authedRoute(restRoutes["room.join"]).mutation(({ ctx, input }) =>
    ctx.services.rooms.join(ctx.caller, input.id),
  ),
  listMembers: authedRoute(restRoutes["room.listMembers"]).query(({ ctx, input }) =>
    ctx.services.members.list(ctx.caller, input),
  ),
  addMembers: authedRoute(restRoutes["room.addMembers"]).mutation(({ ctx, input }) =>
    ctx.services.members.add(ctx.caller, input),
  ),
  removeMember: authedRoute(restRoutes["room.removeMember"]).mutation(({ ctx, input }) =>
    ctx.services.members.remove(ctx.caller, input),
  ),
  setMemberRole: authedRoute(restRoutes["room.setMemberRole"]).mutation(({ ctx, input }) =>
    ctx.services.members.setRole(ctx.caller, input),
  ),
  changes: authedRoute(restRoutes["room.changes"]).query(({ ctx, input }) =>
    ctx.services.rooms.changes(ctx.caller, input),
  ),
  markRead: authedRoute(restRoutes["room.markRead"]).mutation(({ ctx, input }) =>
    ctx.services.rooms.markRead(ctx.caller, input),
  ),
});
