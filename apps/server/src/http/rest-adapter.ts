import type { Express, Request, Response } from "express";
import type { z } from "zod";

import { restRoutes, type RestRoute } from "@causette/contracts";

import { AppError, badRequest } from "../errors.ts";
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

const INTEGER = /^-?\d+$/;

/**
 * A path or query value (always a string, or an array of them for a repeated key) as the schema
 * wants it: whole numbers and booleans converted, anything else left for the schema to refuse.
 * `key` is only looked up among the shape's own fields: `constructor` is not a field.
 */
function fromUrl(shape: Record<string, z.core.$ZodType>, key: string, value: unknown): unknown {
  if (typeof value !== "string" || !Object.hasOwn(shape, key)) return value;
  const type = unwrap(shape[key]!)._zod.def.type;
  if (type === "number" && INTEGER.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

const isJson = (req: Request) =>
  (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";

/**
 * The procedure's input from a request. Reads take it from the query string; writes from a JSON
 * body only (415 for any other content type, so a cross-site form cannot write), plus the query
 * keys their route names. Path parameters (renamed as the route says) win. The input is a
 * null-prototype object: a key named `__proto__` or `constructor` is a key like any other, that the
 * schema then refuses by name.
 */
function inputOf(route: RestRoute, req: Request): Record<string, unknown> {
  const input = Object.create(null) as Record<string, unknown>;
  const shape = shapeOf(route.input);
  if (route.method !== "get") {
    const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
    if ((route.method !== "delete" || hasBody) && !isJson(req)) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the input as a JSON body with content-type: application/json");
    }
    const body: unknown = req.body ?? {};
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw badRequest("", "the body must be a JSON object");
    }
    for (const [key, value] of Object.entries(body)) input[key] = value;
  }
  const fromQuery = route.method === "get" ? null : new Set(route.query ?? []);
  for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
    if (fromQuery && !fromQuery.has(key))
      throw badRequest(key, "not taken from the query string: send it in the JSON body");
    input[key] = fromUrl(shape, key, value);
  }
  for (const [param, value] of Object.entries(req.params)) {
    const key = route.params?.[param] ?? param;
    input[key] = fromUrl(shape, key, value);
  }
  return input;
}

/** Serves every row of the contract's route table through its tRPC procedure. */
export function mountRestRoutes(app: Express, createContext: (req: Request, res: Response) => Context, logger: Logger) {
  for (const [name, route] of Object.entries(restRoutes) as Array<[string, RestRoute]>) {
    app[route.method](route.path, async (req, res) => {
      try {
        const input = inputOf(route, req);
        const ctx = createContext(req, res);
        const output = await procedureOf(createCaller(ctx), name)(input);
        res.status(ctx.http.status ?? route.status).json(output);
      } catch (error) {
        sendError(res, error, logger);
      }
    });
  }
}
