import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startServer, type TestServer } from "@causette/server/test-harness";

/**
 * The SDK as a user gets it: built, packed, installed from the tarball with npm into a project of
 * its own, type-checked there and run against a live server from `import` and from `require`.
 */
const run = promisify(execFile);
const SDK_DIR = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => join(SDK_DIR, "node_modules", ".bin", name);
const MINUTES = 60_000;

let server: TestServer;
let work: string;
let tarball: string;
let consumer: string;

beforeAll(async () => {
  server = await startServer();
  work = await mkdtemp(join(tmpdir(), "causette-sdk-pack-"));
  await run(bin("tsdown"), [], { cwd: SDK_DIR, maxBuffer: 16 * 1024 * 1024 });
  await run("pnpm", ["pack", "--pack-destination", work], { cwd: SDK_DIR });
  const [name] = (await readdir(work)).filter((f) => f.endsWith(".tgz"));
  tarball = join(work, name!);

  consumer = join(work, "consumer");
  await mkdir(consumer);
  await writeFile(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, "@types/node@20"],
    {
      cwd: consumer,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  await writeFile(join(consumer, "tsconfig.json"), JSON.stringify(TSCONFIG));
  await writeFile(join(consumer, "chat.ts"), ESM_CONSUMER);
  await writeFile(join(consumer, "chat-require.cts"), CJS_CONSUMER);
}, 6 * MINUTES);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    outDir: "out",
    types: ["node"],
    lib: ["es2022", "dom"],
  },
  include: ["chat.ts", "chat-require.cts"],
};

const ESM_CONSUMER = `
import { createChatClient, ChatError, type Message } from "@causette/sdk";

const [url, suffix] = process.argv.slice(2) as [string, string];
const password = "correct horse battery";

async function user(name: string) {
  const chat = createChatClient({ url, transports: ["websocket"] });
  const email = \`\${name}.\${suffix}@example.com\`;
  await chat.auth.register({ username: \`\${name}_\${suffix}\`, email, password });
  const { user } = await chat.auth.login({ email, password });
  return { chat, user };
}

const ann = await user("ann");
const ben = await user("ben");
const room = await ann.chat.rooms.create({ participant: ben.user.id });
await ben.chat.realtime.connect();
await ben.chat.realtime.joinRoom(room.id);
const heard = new Promise<Message>((resolve) => ben.chat.realtime.on("receive_message", resolve));
const sent = await ann.chat.messages.send({ roomId: room.id, message: "hello from import" });
const got = await heard;
let refused = "";
try {
  await ann.chat.users.get(999999);
} catch (error) {
  if (error instanceof ChatError) refused = \`\${error.code} \${error.status}\`;
}
ben.chat.realtime.disconnect();
console.log(JSON.stringify({ sent: sent.message, got: got.message, same: got.id === sent.id, refused }));
`;

const CJS_CONSUMER = `
import { createChatClient, ChatError, type Message } from "@causette/sdk";

async function main(url: string, suffix: string) {
  const password = "correct horse battery";
  const user = async (name: string) => {
    const chat = createChatClient({ url, transports: ["websocket"] });
    const email = \`\${name}.\${suffix}@example.com\`;
    await chat.auth.register({ username: \`\${name}_\${suffix}\`, email, password });
    return { chat, user: (await chat.auth.login({ email, password })).user };
  };
  const cid = await user("cid");
  const dee = await user("dee");
  const room = await cid.chat.rooms.create({ participant: dee.user.id });
  await cid.chat.realtime.connect();
  await dee.chat.realtime.connect();
  await dee.chat.realtime.joinRoom(room.id);
  const heard = new Promise<Message>((resolve) => dee.chat.realtime.on("receive_message", resolve));
  const sent = await cid.chat.realtime.sendMessage({ roomId: room.id, message: "hello from require" });
  const got = await heard;
  let refused = "";
  try {
    await cid.chat.messages.send({ roomId: room.id, message: "" });
  } catch (error) {
    if (error instanceof ChatError) refused = \`\${error.code} \${error.status} \${error.issues?.[0]?.path}\`;
  }
  cid.chat.realtime.disconnect();
  dee.chat.realtime.disconnect();
  console.log(JSON.stringify({ sent: sent.message, got: got.message, same: got.id === sent.id, refused }));
}

void main(process.argv[2]!, process.argv[3]!);
`;

const tsc = (args: string[]) => run(join(SDK_DIR, "node_modules", ".bin", "tsc"), args, { cwd: consumer });

describe("the packed SDK", () => {
  it("holds only dist and the manifest, with types for import and require", async () => {
    const { stdout } = await run("tar", ["tzf", tarball]);
    const files = stdout.trim().split("\n").sort();
    expect(files).toEqual(
      expect.arrayContaining([
        "package/package.json",
        "package/dist/index.js",
        "package/dist/index.cjs",
        "package/dist/index.d.ts",
        "package/dist/index.d.cts",
      ]),
    );
    expect(
      files.filter(
        (f) =>
          !f.startsWith("package/dist/") &&
          f !== "package/package.json" &&
          !/^package\/(README|LICENSE|CHANGELOG)(\.md)?$/i.test(f),
      ),
    ).toEqual([]);
    // The contracts and the router types are bundled: nothing of ours is left to install.
    const { stdout: manifest } = await run("tar", ["xzf", tarball, "-O", "package/package.json"]);
    expect(Object.keys(JSON.parse(manifest).dependencies).filter((d) => d.startsWith("@causette/"))).toEqual([]);
  });

  it(
    "type-checks a consumer, and refuses one with a wrong field",
    async () => {
      await tsc(["-p", "."]);
      await writeFile(
        join(consumer, "bad.ts"),
        `import { createChatClient } from "@causette/sdk";\nawait createChatClient({ url: "" }).messages.send({ roomId: 1, text: "hi" });\n`,
      );
      const failed = await tsc([
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--target",
        "es2022",
        "--types",
        "node",
        "bad.ts",
      ]).then(
        () => null,
        (error: { stdout: string }) => error.stdout,
      );
      expect(failed).toMatch(/bad\.ts.*TS2353.*'text'/);
    },
    2 * MINUTES,
  );

  it(
    "chats with a live server from import (ESM) and from require (CJS)",
    async () => {
      const esm = await run("node", [join(consumer, "out", "chat.js"), server.url, "esm"], { cwd: consumer });
      expect(JSON.parse(esm.stdout)).toEqual({
        sent: "hello from import",
        got: "hello from import",
        same: true,
        refused: "NOT_FOUND 404",
      });
      const cjs = await run("node", [join(consumer, "out", "chat-require.cjs"), server.url, "cjs"], { cwd: consumer });
      expect(JSON.parse(cjs.stdout)).toEqual({
        sent: "hello from require",
        got: "hello from require",
        same: true,
        refused: "BAD_REQUEST 400 message",
      });
    },
    2 * MINUTES,
  );

  it("bundles for a browser from the installed package, with nothing from Node", async () => {
    await writeFile(
      join(consumer, "page.js"),
      `import { createChatClient } from "@causette/sdk";\nwindow.chat = createChatClient({ url: location.origin });\n`,
    );
    const bundle = await build({
      entryPoints: [join(consumer, "page.js")],
      absWorkingDir: consumer,
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      metafile: true,
    });
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.some((i) => i.includes("node_modules/@causette/sdk/dist/index.js"))).toBe(true);
    expect(inputs.filter((i) => /node_modules\/(ws|xmlhttprequest-ssl)\//.test(i))).toEqual([]);
  });

  it(
    "passes publint and Are the Types Wrong",
    async () => {
      const lint = await run(bin("publint"), ["run", tarball, "--strict"]);
      expect(lint.stdout).toMatch(/All good/);
      const attw = await run(bin("attw"), [tarball, "--format", "ascii"]);
      expect(attw.stdout).toMatch(/No problems found/);
    },
    2 * MINUTES,
  );
});
