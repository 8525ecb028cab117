import type { Express, Request, Response } from "express";
import type { z } from "zod";

import { restRoutes, type RestRoute } from "@causette/contracts";

import { badRequest } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Context } from "../trpc/context.ts";
import { appRouter } from "../trpc/routers/_app.ts";
import { createCallerFactory } from "../trpc/trpc.ts";
import { sendError } from "./send-error.ts";

type Procedure = (input: unknown) => Promise<unknown>;

const createCaller = createCallerFactory(appRouter);

/** Walks `user.login` down the caller's namespaces to the procedure. */
function procedureOf(caller: ReturnType<typeof createCaller>, name: string): Procedure {
  return name.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller) as Procedure;
}

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable"]);

/** The schema under its optional/default wrappers. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType };
    if (!WRAPPERS.has(def.type) || !def.innerType) return current;
    current = def.innerType;
  }
}

function shapeOf(schema: z.core.$ZodType): Record<string, z.core.$ZodType> {
  return (unwrap(schema)._zod.def as { shape?: Record<string, z.core.$ZodType> }).shape ?? {};
}

const expectsNumber = (schema: z.core.$ZodType | undefined) => !!schema && unwrap(schema)._zod.def.type === "number";

const INTEGER = /^-?\d+$/;

/**
 * The procedure's input from a request: body fields, then query fields, then path parameters
 * (renamed as the route says). Path and query values arrive as strings; those the schema wants as
 * numbers are converted when they are whole numbers, and left for the schema to refuse otherwise.
 */
function inputOf(route: RestRoute, req: Request): Record<string, unknown> {
  const body: unknown = req.body ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("", "the body must be a JSON object");
  }
  const shape = shapeOf(route.input);
  const fromUrl: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  for (const [param, value] of Object.entries(req.params)) fromUrl[route.params?.[param] ?? param] = value;
  for (const [key, value] of Object.entries(fromUrl)) {
    if (typeof value === "string" && INTEGER.test(value) && expectsNumber(shape[key])) fromUrl[key] = Number(value);
  }
  return { ...(body as Record<string, unknown>), ...fromUrl };
}

/** Serves every row of the contract's route table through its tRPC procedure. */
export function mountRestRoutes(app: Express, createContext: (req: Request, res: Response) => Context, logger: Logger) {
  for (const [name, route] of Object.entries(restRoutes) as Array<[string, RestRoute]>) {
    app[route.method](route.path, async (req, res) => {
      const ctx = createContext(req, res);
      try {
        const output = await procedureOf(createCaller(ctx), name)(inputOf(route, req));
        res.status(ctx.http.status ?? route.status).json(output);
      } catch (error) {
        sendError(res, error, logger);
      }
    });
  }
}
