import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";

import { ErrorBodySchema } from "@causette/contracts";

import { DEFAULT_RATE_LIMITS } from "../src/limits/rate-limits.ts";
import { signUp, startServer, type TestServer, type TestUser } from "./harness.ts";

/**
 * A property-based fuzzer over the OpenAPI document: every operation it lists gets generated
 * requests (valid and invalid path parameters, query strings with odd or repeated keys, JSON and
 * non-JSON bodies, tokens good and bad, odd headers). Whatever it sends, the server answers below
 * 500, and every error has the contract's shape.
 */
const RUNS = 2_000;
// Requests in flight at once: each run of the property sends this many together.
const PARALLEL = 20;

interface Operation {
  method: string;
  path: string;
  parameters: Array<{ name: string; in: "path" | "query"; schema?: { type?: string } }>;
  body: Record<string, { type?: string; enum?: string[] }>;
}

let server: TestServer;
let ana: TestUser;
let operations: Operation[];
let ids: number[];

beforeAll(async () => {
  // Sign-ups keep their real limit here: the fuzzer's valid ones are refused after a few, as any client's.
  server = await startServer({ config: { rateLimits: { signupAddress: DEFAULT_RATE_LIMITS.signupAddress } } });
  ana = await signUp(server.url, "ana");
  const bob = await signUp(server.url, "bob");
  const room = (await ana.api.post("/api/room/", { participant: bob.user.id })).body;
  const message = (await ana.api.post("/api/chat/", { roomId: room.id, message: "hello" })).body;
  ids = [ana.user.id, bob.user.id, room.id, message.id];
  const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: Operation["parameters"]; requestBody?: any }>>;
  };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content?.["application/json"]?.schema?.properties ?? {},
    })),
  );
});
afterAll(() => server.close());

const oddKey = fc.constantFrom(
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "a[b]",
  "",
);
const oddText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "%00",
    "null",
    "NaN",
    "-0",
    "1e309",
    "0x10",
    "9".repeat(40),
    "İ",
    "\uFEFF1",
    "true",
  ),
);
const anyInteger = () =>
  fc.oneof(fc.constantFrom(...ids), fc.integer(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER));
const jsonValue = fc.jsonValue({ maxDepth: 2 });

/** A value for a field: often what the schema wants, sometimes anything at all. */
function value(schema: { type?: string; enum?: string[] } | undefined): fc.Arbitrary<unknown> {
  const wanted =
    schema?.enum !== undefined
      ? fc.constantFrom(...schema.enum)
      : schema?.type === "integer" || schema?.type === "number"
        ? anyInteger()
        : schema?.type === "boolean"
          ? fc.boolean()
          : fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.emailAddress(), oddText);
  return fc.oneof({ weight: 3, arbitrary: wanted }, { weight: 1, arbitrary: jsonValue });
}

/** A URL value: the wanted one as text, or odd text. */
const urlValue = (schema: { type?: string } | undefined) =>
  fc.oneof(
    value(schema).map((v) => (typeof v === "string" ? v : JSON.stringify(v))),
    oddText,
  );

function request(op: Operation) {
  const pathParams = op.parameters.filter((p) => p.in === "path");
  const queryParams = op.parameters.filter((p) => p.in === "query");
  const write = op.method !== "GET";
  return fc.record({
    path: fc
      .tuple(...pathParams.map((p) => urlValue(p.schema)))
      .map((values) =>
        pathParams.reduce((path, p, i) => path.replace(`{${p.name}}`, encodeURIComponent(values[i]!)), op.path),
      ),
    query: fc.array(
      fc.tuple(fc.oneof(fc.constantFrom(...queryParams.map((p) => p.name), "x"), oddKey), urlValue(undefined)),
      { maxLength: 4 },
    ),
    body: fc.oneof(
      // Each field the schema names, present or not, plus odd extra keys.
      fc
        .record(Object.fromEntries(Object.entries(op.body).map(([key, schema]) => [key, value(schema)])), {
          requiredKeys: [],
        })
        .chain((fields) =>
          fc.dictionary(oddKey, jsonValue, { maxKeys: 1 }).map((extra) => JSON.stringify({ ...extra, ...fields })),
        ),
      jsonValue.map((v) => JSON.stringify(v)),
      fc.constantFrom('{"a":', "[]", "null", "\u0000", '{"__proto__":{"x":1}}', "message=hi"),
    ),
    contentType: write
      ? fc.constantFrom(
          "application/json",
          "application/json",
          "application/json; charset=utf-8",
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/json; charset=klingon",
          undefined,
        )
      : fc.constantFrom(undefined, "application/json"),
    encoding: fc.constantFrom(
      undefined,
      undefined,
      undefined,
      "gzip",
      "gzip-bad",
      "deflate",
      "br",
      "identity",
      "x-unknown",
    ),
    auth: fc.constantFrom("valid", "valid", "none", "garbage", "bearer-empty", "cookie-forged"),
  });
}

async function send(op: Operation, r: fc.Arbitrary<any> extends fc.Arbitrary<infer T> ? T : never) {
  const query = (r.query as Array<[string, string]>)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
  const headers: Record<string, string> = {};
  // Never log the fuzzer's own session out: it would only test 401s from then on.
  const valid = r.auth === "valid" && !op.path.endsWith("/deconnexion");
  if (valid) headers.authorization = `Bearer ${ana.token}`;
  if (r.auth === "garbage") headers.authorization = "Bearer not.a.token";
  if (r.auth === "bearer-empty") headers.authorization = "Bearer ";
  if (r.auth === "cookie-forged") headers.cookie = "token=s%3Aforged.signature";
  let body: string | Uint8Array | undefined;
  if (op.method !== "GET") {
    body = r.body;
    if (r.contentType) headers["content-type"] = r.contentType;
    if (r.encoding === "gzip") {
      headers["content-encoding"] = "gzip";
      body = gzipSync(r.body);
    } else if (r.encoding === "gzip-bad") {
      headers["content-encoding"] = "gzip";
    } else if (r.encoding) {
      headers["content-encoding"] = r.encoding;
    }
  }
  const response = await fetch(`${server.url}${r.path}${query ? `?${query}` : ""}`, {
    method: op.method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, text: await response.text() };
}

it(`${RUNS} generated requests over every operation of the OpenAPI document: no 5xx, every error in the contract's shape`, async () => {
  expect(operations.length).toBeGreaterThanOrEqual(17);
  const seen = new Map<string, number>();
  let sent = 0;
  const one = fc
    .nat({ max: operations.length - 1 })
    .chain((i) => fc.tuple(fc.constant(operations[i]!), request(operations[i]!)));
  await fc.assert(
    fc.asyncProperty(fc.array(one, { minLength: PARALLEL, maxLength: PARALLEL }), async (requests) => {
      await Promise.all(
        requests.map(async ([op, r]) => {
          const { status, text } = await send(op, r);
          sent += 1;
          const key = `${op.method} ${op.path}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          expect(status, `${key} -> ${status}: ${text.slice(0, 300)}`).toBeLessThan(500);
          if (status >= 400) {
            const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
            expect(parsed.success, `${key} -> ${status}: ${text.slice(0, 300)}`).toBe(true);
            expect(parsed.data!.error.code).not.toBe("INTERNAL_SERVER_ERROR");
          }
        }),
      );
    }),
    { numRuns: RUNS / PARALLEL, endOnFailure: true },
  );
  expect(sent).toBeGreaterThanOrEqual(RUNS);
  expect(seen.size).toBe(operations.length);
  // The server still serves after all that.
  expect((await ana.api.get("/api/room/")).status).toBe(200);
}, 120_000);
