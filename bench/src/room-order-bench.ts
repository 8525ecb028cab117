/**
 * What the room ordering (RoomOrder) adds to each write, measured against the same writes
 * announced as they answer (the ordering off), in the same run and process.
 *
 * Each round runs `inFlight` writes to one room at once; each write answers after a random number
 * of event-loop turns (so answers come back out of order, as from several database connections)
 * and announces one event. The figure is the CPU time per write, which the server's budget per
 * message (its CPU per message at saturation) is compared to in BENCHMARKS.md.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { parseArgs } from "node:util";

import { createRoomOrder } from "@causette/server/room-order";

import { machineLine } from "./stats.ts";

const { values } = parseArgs({
  options: {
    writes: { type: "string", default: "1000000" },
    "in-flight": { type: "string", default: "8" },
    rounds: { type: "string", default: "5" },
  },
});
const writes = Number(values.writes);
const inFlight = Number(values["in-flight"]);
const rounds = Number(values.rounds);

/** Resolves after `turns` turns of the microtask queue. */
async function answerAfter(turns: number): Promise<number> {
  for (let i = 0; i < turns; i += 1) await Promise.resolve();
  return turns;
}

/** As the app's broadcaster does: each write runs with the socket that caused it, captured for its announcement. */
const origin = new AsyncLocalStorage<{ socketId: string }>();
const captureOrigin = () => {
  const store = origin.getStore();
  return store ? (announce: () => void) => origin.run(store, announce) : (announce: () => void) => announce();
};

async function run(ordered: boolean): Promise<{ cpuUs: number; announced: number; outOfOrder: number }> {
  const order = createRoomOrder(ordered, captureOrigin);
  let announced = 0;
  let last = 0;
  let outOfOrder = 0;
  let version = 0;
  const start = process.cpuUsage();
  for (let done = 0; done < writes; done += inFlight) {
    await Promise.all(
      Array.from({ length: inFlight }, (_, i) =>
        origin.run({ socketId: `s${i}` }, () =>
          order.run(
            1,
            // Versions are taken in start order (the room's lock); answers come back in any order.
            async () => {
              const mine = (version += 1);
              await answerAfter(Math.floor(Math.random() * 4));
              return mine;
            },
            (v) => v,
            (v) => {
              announced += 1;
              if (v < last) outOfOrder += 1;
              last = Math.max(last, v);
            },
          ),
        ),
      ),
    );
  }
  const cpu = process.cpuUsage(start);
  return { cpuUs: cpu.user + cpu.system, announced, outOfOrder };
}

process.stdout.write(`# room order bench: ${new Date().toISOString()}\n${machineLine()}\n`);
process.stdout.write(`${writes} writes per round, ${inFlight} in flight to one room, ${rounds} rounds of each\n`);
const results = { ordered: [] as number[], unordered: [] as number[] };
for (let r = 0; r < rounds; r += 1) {
  for (const ordered of r % 2 === 0 ? [false, true] : [true, false]) {
    const { cpuUs, announced, outOfOrder } = await run(ordered);
    const perWrite = cpuUs / announced;
    results[ordered ? "ordered" : "unordered"].push(perWrite);
    process.stdout.write(
      `${ordered ? "ordered  " : "unordered"}  ${perWrite.toFixed(3)} µs CPU per write, ${outOfOrder} announced out of version order\n`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const added = median(results.ordered) - median(results.unordered);
process.stdout.write(
  `median: ordered ${median(results.ordered).toFixed(3)} µs, unordered ${median(results.unordered).toFixed(3)} µs: the ordering adds ${added.toFixed(3)} µs of CPU per write\n`,
);
