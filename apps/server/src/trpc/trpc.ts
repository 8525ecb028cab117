import { initTRPC } from "@trpc/server";
import type { z } from "zod";

import { signInFirst, toAppError, toErrorBody } from "../errors.ts";
import type { Context } from "./context.ts";
import { toAppErrorFromTrpc } from "./errors.ts";

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const appError = toAppErrorFromTrpc(error);
    const body = toErrorBody(appError);
    return {
      ...shape,
      message: body.error.message,
      data: {
        ...shape.data,
        code: body.error.code,
        issues: body.error.issues,
        retryAfter: body.error.retryAfter,
        stack: undefined,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Services throw AppError (or errors that map to one, such as an unavailable database); tRPC needs
 * a TRPCError with the same code, which keeps the original as cause.
 */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause !== undefined) {
    const appError = toAppError(result.error.cause);
    if (!("internal" in appError)) Object.assign(result.error, { code: appError.code, message: appError.message });
  }
  return result;
});

const publicProcedure = t.procedure.use(appErrors);

const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const session = await ctx.session();
  if (!session) throw signInFirst();
  return next({ ctx: { ...ctx, session, caller: { userId: session.userId } } });
});

/** The procedure behind a REST route: the same input and output schemas, by construction. */
export function authedRoute<I extends z.ZodType, O extends z.ZodType>(route: { auth: true; input: I; output: O }) {
  return authedProcedure.input(route.input).output(route.output);
}

export function publicRoute<I extends z.ZodType, O extends z.ZodType>(route: { auth: false; input: I; output: O }) {
  return publicProcedure.input(route.input).output(route.output);
}
