import { restRoutes } from "@causette/contracts";

import { authedRoute, router } from "../trpc.ts";

export const messageRouter = router({
  send: authedRoute(restRoutes["message.send"]).mutation(({ ctx, input }) =>
    ctx.services.messages.send(ctx.caller, input),
  ),
  list: authedRoute(restRoutes["message.list"]).query(({ ctx, input }) =>
    ctx.services.messages.list(ctx.caller, input),
  ),
  edit: authedRoute(restRoutes["message.edit"]).mutation(({ ctx, input }) =>
    ctx.services.messages.edit(ctx.caller, input),
  ),
  setState: authedRoute(restRoutes["message.setState"]).mutation(({ ctx, input }) =>
    ctx.services.messages.setState(ctx.caller, input),
  ),
  delete: authedRoute(restRoutes["message.delete"]).mutation(({ ctx, input }) =>
    ctx.services.messages.delete(ctx.caller, input.id),
  ),
  receipts: authedRoute(restRoutes["message.receipts"]).query(({ ctx, input }) =>
    ctx.services.messages.receipts(ctx.caller, input.id),
  ),
  search: authedRoute(restRoutes["message.search"]).query(({ ctx, input }) =>
    ctx.services.messages.search(ctx.caller, input),
  ),
});
