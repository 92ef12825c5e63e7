import autocannon, { type Options, type Request } from 'autocannon';
import { Agent, request } from 'node:http';

/** One endpoint to load: a method and path, and a body made fresh for each request. */
export interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  path: () => string;
  body?: () => unknown;
}

export interface Throughput {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

/**
 * Requests per second, and latency percentiles, under `connections` concurrent clients for
 * `seconds` (autocannon, after a warm-up of its own). autocannon's histogram has 1 ms
 * resolution: fine under load, where answers take milliseconds; see {@link sequentialLatency}
 * for the unloaded case.
 */
export async function throughput(baseUrl: string, endpoint: Endpoint, connections: number, seconds: number): Promise<Throughput> {
  const options = (duration: number): Options => ({
    url: baseUrl,
    connections,
    duration,
    requests: [
      {
        method: endpoint.method,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: Request): Request => ({
          ...req,
          path: endpoint.path(),
          ...(endpoint.body ? { body: JSON.stringify(endpoint.body()) } : {}),
        }),
      },
    ],
  });
  await autocannon(options(Math.max(2, Math.round(seconds / 4)))); // warm-up: JIT, connection pools
  const result = await autocannon(options(seconds));
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * Latency percentiles of one request at a time over a kept-alive connection, timed with the
 * high-resolution clock: what one call costs when nothing else is running. Stops after `count`
 * requests or `maxSeconds`, whichever comes first.
 */
export async function sequentialLatency(baseUrl: string, endpoint: Endpoint, count: number, maxSeconds: number): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(baseUrl);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const body = endpoint.body ? JSON.stringify(endpoint.body()) : undefined;
      const startedAt = process.hrtime.bigint();
      const req = request(
        { agent, host: url.hostname, port: url.port, method: endpoint.method, path: endpoint.path(), headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () =>
            (res.statusCode ?? 500) < 300
              ? resolve(Number(process.hrtime.bigint() - startedAt) / 1e6)
              : reject(new Error(`${endpoint.name} answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < Math.min(200, count); i++) await once(); // warm-up
  const samples: number[] = [];
  const until = Date.now() + maxSeconds * 1000;
  for (let i = 0; i < count && Date.now() < until; i++) samples.push(await once());
  agent.destroy();
  return percentiles(samples);
}

/** p50 and p99 of samples in milliseconds. */
export function percentiles(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}
