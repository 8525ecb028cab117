/**
 * A closed-loop HTTP load generator, run as a child process so that it does not share the event
 * loop of the server it measures. Each of `connections` clients sends its next request as soon as
 * the previous answer's body has arrived, over keep-alive connections.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

export interface LoadJob {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  /** Paths requested round-robin. */
  paths: string[];
  headers: Record<string, string>;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  /** Latency of each request completed during the measured window, in ms. */
  latencies: number[];
  errors: number;
  /** Statuses other than 200, with a count. */
  statuses: Record<string, number>;
  elapsedMs: number;
}

function once(agent: Agent, url: URL, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const urls = job.paths.map((p) => new URL(p, job.url));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const stopAt = measureFrom + job.durationMs;

  async function client() {
    while (performance.now() < stopAt) {
      const url = urls[next++ % urls.length]!;
      const t0 = performance.now();
      try {
        const status = await once(agent, url, job.headers);
        const t1 = performance.now();
        if (t0 >= measureFrom && t1 <= stopAt) {
          if (status === 200) latencies.push(t1 - t0);
          else statuses[status] = (statuses[status] ?? 0) + 1;
        }
      } catch {
        errors += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: job.connections }, client));
  agent.destroy();
  return { latencies, errors, statuses, elapsedMs: job.durationMs };
}

// As a child process: one job per message, one result back.
if (process.send) {
  process.on("message", (job: LoadJob) => {
    void runLoad(job).then((result) => process.send!(result));
  });
}
