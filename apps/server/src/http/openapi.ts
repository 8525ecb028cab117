import { z } from "zod";

import { ErrorBodySchema, fileRoutes, FileSchema, restRoutes, UPLOAD_FIELD, type RestRoute } from "@causette/contracts";

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

/**
 * zod writes shared schemas (those with a `.meta({ id })`) under `$defs`; in an OpenAPI document
 * they belong under `components.schemas`, so they are moved there and the references rewritten.
 */
function schemaOf(schema: z.ZodType, io: "input" | "output", components: Record<string, unknown>): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema & {
    $defs?: Record<string, unknown>;
  };
  const { $defs, $schema: _, ...rest } = json;
  const rewrite = (value: unknown) =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
  for (const [id, def] of Object.entries($defs ?? {})) components[id] = rewrite(def);
  return rewrite(rest);
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorBody" } } },
});

function operationOf(name: string, route: RestRoute, components: Record<string, unknown>) {
  const input = schemaOf(route.input, "input", components);
  const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const inputKeyOf = (param: string) => route.params?.[param] ?? param;
  const fromPath = new Set(pathParams.map(inputKeyOf));
  const properties = input.properties ?? {};
  const required = new Set(input.required ?? []);
  const parameters: unknown[] = pathParams.map((param) => ({
    name: param,
    in: "path",
    required: true,
    schema: properties[inputKeyOf(param)] ?? { type: "string" },
  }));
  const fromQuery = (key: string) => route.method === "get" || (route.query ?? []).includes(key);
  const rest = Object.entries(properties).filter(([key]) => !fromPath.has(key));
  for (const [key, schema] of rest.filter(([key]) => fromQuery(key))) {
    parameters.push({ name: key, in: "query", required: required.has(key), schema });
  }
  const inBody = rest.filter(([key]) => !fromQuery(key));
  let requestBody: unknown;
  if (route.method !== "get" && !input.properties) {
    // A union of bodies (`room.create`): documented whole.
    requestBody = { required: true, content: { "application/json": { schema: input } } };
  } else if (inBody.length > 0) {
    requestBody = {
      required: true,
      content: {
        "application/json": {
          schema: {
            ...input,
            properties: Object.fromEntries(inBody),
            required: [...required].filter((key) => !fromPath.has(key) && !fromQuery(key)),
          },
        },
      },
    };
  }
  return {
    operationId: name,
    summary: route.summary,
    tags: [route.tag],
    ...(route.auth ? { security: [{ bearer: [] }, { cookie: [] }] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      [String(route.status)]: {
        description: "Success",
        content: { "application/json": { schema: schemaOf(route.output, "output", components) } },
      },
      400: errorResponse("Invalid input: `error.issues` names each field"),
      ...(route.auth ? { 401: errorResponse("No valid token") } : {}),
      ...(pathParams.length ? { 404: errorResponse("Not found, or not yours to see") } : {}),
      ...(route.method === "get" ? {} : { 415: errorResponse("The body is not `application/json`") }),
      429: errorResponse("Rate limited: retry after the `Retry-After` header's seconds (`error.retryAfter`)"),
    },
  };
}

const FILE_ID_PARAMETER = { name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } };
const FILE_SECURITY = [{ bearer: [] }, { cookie: [] }];

/** The streaming file routes (served outside tRPC: see http/file-routes.ts), from their own table. */
function fileOperations(components: Record<string, unknown>) {
  const file = schemaOf(FileSchema, "output", components);
  const binary = (description: string) => ({
    description,
    content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
  });
  const readErrors = {
    400: errorResponse("`id` is not a file id"),
    401: errorResponse("No valid token"),
    404: errorResponse("No such file, or not yours to see"),
  };
  return {
    [fileRoutes.upload.path]: {
      post: {
        operationId: "file.upload",
        summary: fileRoutes.upload.summary,
        tags: ["file"],
        security: FILE_SECURITY,
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                required: [UPLOAD_FIELD],
                properties: { [UPLOAD_FIELD]: { type: "string", format: "binary" } },
              },
            },
          },
        },
        responses: {
          201: { description: "Stored", content: { "application/json": { schema: file } } },
          400: errorResponse("No part `file`, an empty file, another part, or a malformed or cut body"),
          401: errorResponse("No valid token"),
          408: errorResponse("The client stopped sending before the end"),
          413: errorResponse("The file is over MAX_UPLOAD_BYTES"),
          415: errorResponse("The body is not multipart/form-data"),
        },
      },
    },
    [fileRoutes.download.path.replace(":id", "{id}")]: {
      get: {
        operationId: "file.download",
        summary: fileRoutes.download.summary,
        tags: ["file"],
        security: FILE_SECURITY,
        parameters: [FILE_ID_PARAMETER, { name: "Range", in: "header", required: false, schema: { type: "string" } }],
        responses: {
          200: binary("The whole file, with its sniffed content-type and as an attachment"),
          206: binary("The requested byte range"),
          ...readErrors,
          416: { description: "The range starts past the end of the file" },
        },
      },
    },
    [fileRoutes.thumbnail.path.replace(":id", "{id}")]: {
      get: {
        operationId: "file.thumbnail",
        summary: fileRoutes.thumbnail.summary,
        tags: ["file"],
        security: FILE_SECURITY,
        parameters: [FILE_ID_PARAMETER],
        responses: { 200: binary("A WebP image"), ...readErrors },
      },
    },
  };
}

/** The OpenAPI 3.1 document, generated from the contract's route tables. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  schemaOf(ErrorBodySchema, "output", components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(restRoutes) as Array<[string, RestRoute]>) {
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    paths[path] ??= {};
    paths[path][route.method] = operationOf(name, route, components);
  }
  Object.assign(paths, fileOperations(components));
  return {
    openapi: "3.1.0",
    info: {
      title: "Causette",
      version: "0.1.0",
      description:
        "Internal chat: accounts, private rooms, messages with receipts. Real time over socket.io on the same port.",
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        cookie: { type: "apiKey", in: "cookie", name: "token" },
      },
    },
  };
}
