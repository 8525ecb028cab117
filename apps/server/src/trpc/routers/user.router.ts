import { restRoutes } from "@causette/contracts";

import { authedRoute, publicRoute, router } from "../trpc.ts";

export const userRouter = router({
  register: publicRoute(restRoutes["user.register"]).mutation(({ ctx, input }) =>
    ctx.services.users.register(input, ctx.address),
  ),
  login: publicRoute(restRoutes["user.login"]).mutation(async ({ ctx, input }) => {
    const session = await ctx.services.users.login(input, ctx.address);
    ctx.http.setToken(session.token);
    return session;
  }),
  logout: publicRoute(restRoutes["user.logout"]).mutation(async ({ ctx, input }) => {
    const session = await ctx.session();
    if (session) await ctx.services.users.logout(session, input.all ?? false);
    ctx.http.clearToken();
    return { ok: true as const };
  }),
  me: authedRoute(restRoutes["user.me"]).query(({ ctx }) => ctx.services.users.me(ctx.caller)),
  get: authedRoute(restRoutes["user.get"]).query(({ ctx, input }) => ctx.services.users.get(input.id)),
  list: authedRoute(restRoutes["user.list"]).query(({ ctx, input }) => ctx.services.users.list(input)),
});
