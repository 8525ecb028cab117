import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

import { fileRoutes, FileSchema, MessageSchema, restRoutes, RoomSchema, type RestRoute } from "@causette/contracts";

import { http, startServer, type TestServer } from "./harness.ts";

let server: TestServer;
let doc: any;

beforeAll(async () => {
  server = await startServer();
  const res = await http(server.url).get("/api/openapi.json");
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(() => server.close());

const routes = Object.entries(restRoutes) as Array<[string, RestRoute]>;
const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/** Follows a `$ref` into components. */
const resolve = (schema: any): any => {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  expect(doc.components.schemas[name], schema.$ref).toBeDefined();
  return resolve(doc.components.schemas[name]);
};

describe("GET /api/openapi.json", () => {
  it.each(routes)("describes %s with its input and its response schema", (name, route) => {
    const operation = doc.paths[openApiPath(route.path)]?.[route.method];
    expect(operation, `${route.method} ${route.path}`).toBeDefined();
    expect(operation.operationId).toBe(name);

    const response = operation.responses[String(route.status)];
    const schema = resolve(response?.content?.["application/json"]?.schema);
    expect(schema?.type ?? schema?.anyOf ?? schema?.$ref).toBeDefined();
    if (route.auth) expect(operation.responses["401"]).toBeDefined();

    // Every input field is a path parameter, a query parameter or a body property.
    const input = z.toJSONSchema(route.input, { io: "input", unrepresentable: "any" }) as {
      properties?: Record<string, unknown>;
    };
    const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const inputKeyOf = (param: string) => route.params?.[param] ?? param;
    const documented = new Set<string>();
    for (const p of operation.parameters ?? []) documented.add(p.in === "path" ? inputKeyOf(p.name) : p.name);
    for (const key of Object.keys(operation.requestBody?.content?.["application/json"]?.schema?.properties ?? {}))
      documented.add(key);
    expect([...documented].sort()).toEqual(Object.keys(input.properties ?? {}).sort());
    for (const param of pathParams) {
      expect(operation.parameters).toContainEqual(expect.objectContaining({ name: param, in: "path", required: true }));
    }
    if (route.method === "get" || route.method === "delete") expect(operation.requestBody).toBeUndefined();
  });

  it("every path and method of the document is a route of the table", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map((m) => `${m} ${path}`),
    );
    const tables = [...routes.map(([, r]) => r), ...Object.values(fileRoutes)];
    expect(documented.sort()).toEqual(tables.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
  });

  it("documents the upload as multipart with one part `file`, answering a File", () => {
    const upload = doc.paths["/api/files"].post;
    expect(upload.requestBody.content["multipart/form-data"].schema).toMatchObject({
      required: ["file"],
      properties: { file: { type: "string", format: "binary" } },
    });
    expect(upload.responses["201"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/File" });
    expect(Object.keys(doc.components.schemas.File.properties).sort()).toEqual(Object.keys(FileSchema.shape).sort());
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(["400", "401", "408", "413", "415"]));
    expect(doc.paths["/api/files/{id}"].get.responses).toHaveProperty("206");
  });

  it("the message and room schemas carry every field, and the send body requires roomId and message", () => {
    expect(Object.keys(doc.components.schemas.Message.properties).sort()).toEqual(
      Object.keys(MessageSchema.shape).sort(),
    );
    expect(Object.keys(doc.components.schemas.Room.properties).sort()).toEqual(Object.keys(RoomSchema.shape).sort());
    const send = doc.paths["/api/chat/"].post.requestBody.content["application/json"].schema;
    expect(send.required.sort()).toEqual(["message", "roomId"]);
    expect(send.properties.message).toMatchObject({ type: "string", minLength: 1, maxLength: 4000 });
    const state = doc.paths["/api/chat/{id}/state"].patch.requestBody.content["application/json"].schema;
    expect(state.properties.state.enum).toEqual(["ok", "recu", "lu"]);
    const list = doc.paths["/api/chat/{id}"].get.parameters;
    expect(list.find((p: any) => p.name === "limit").schema).toMatchObject({ maximum: 200, default: 50 });
    const changes = resolve(
      doc.paths["/api/room/{id}/changes"].get.responses["200"].content["application/json"].schema,
    );
    expect(Object.keys(changes.properties).sort()).toEqual(["members", "messages", "room", "version"]);
  });
});
