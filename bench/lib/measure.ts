import autocannon, { type Options, type Request } from 'autocannon';
import { Agent, request } from 'node:http';

/** One endpoint to load: a method and path, and a body made fresh for each request. */
export interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  path: () => string;
  body?: () => unknown;
  /**
   * Answers other than 2xx that are the endpoint doing its job, not failing (an order refused for
   * want of stock: 409). Counted as `refused`, not as errors. Any other non-2xx is an error.
   */
  expected?: number[];
}

export interface Throughput {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed requests: non-2xx answers not in `expected`, connection errors and timeouts (warm-up included). */
  errors: number;
  /** Answers in the endpoint's `expected` non-2xx statuses (warm-up included). */
  refused: number;
  /** Answers received in the measurement (warm-up not included): none means it measured nothing. */
  answered: number;
}

export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

/**
 * Requests per second, and latency percentiles, under `connections` concurrent clients for
 * `seconds` (autocannon), after a warm-up of `warmUpSeconds`. autocannon's histogram has 1 ms
 * resolution: fine under load, where answers take milliseconds; see {@link sequentialLatency}
 * for the unloaded case.
 */
export async function throughput(
  baseUrl: string,
  endpoint: Endpoint,
  connections: number,
  seconds: number,
  warmUpSeconds: number,
): Promise<Throughput> {
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
  const failures = (result: autocannon.Result) => {
    const refused = (endpoint.expected ?? []).reduce((sum, status) => sum + (result.statusCodeStats?.[`${status}`]?.count ?? 0), 0);
    return { refused, errors: result.non2xx - refused + result.errors + result.timeouts };
  };
  const warmUp = failures(await autocannon(options(warmUpSeconds))); // JIT, connection pools
  const result = await autocannon(options(seconds));
  const measured = failures(result);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: warmUp.errors + measured.errors,
    refused: warmUp.refused + measured.refused,
    answered: result.requests.total,
  };
}

/**
 * Latency percentiles of one request at a time over a kept-alive connection, timed with the
 * high-resolution clock: what one call costs when nothing else is running. Stops after `count`
 * requests or `maxSeconds`, whichever comes first. Fails on an answer that is neither 2xx nor
 * one of the endpoint's `expected` statuses.
 */
export async function sequentialLatency(baseUrl: string, endpoint: Endpoint, count: number, maxSeconds: number): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(baseUrl);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const body = endpoint.body ? JSON.stringify(endpoint.body()) : undefined;
      const startedAt = process.hrtime.bigint();
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: endpoint.method,
          path: endpoint.path(),
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 500;
            if (status < 300 || endpoint.expected?.includes(status)) resolve(Number(process.hrtime.bigint() - startedAt) / 1e6);
            else reject(new Error(`${endpoint.name} answered ${status}`));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    for (let i = 0; i < Math.min(200, count); i++) await once(); // warm-up
    const samples: number[] = [];
    const until = Date.now() + maxSeconds * 1000;
    for (let i = 0; i < count && Date.now() < until; i++) samples.push(await once());
    return percentiles(samples);
  } finally {
    agent.destroy();
  }
}

/** p50 and p99 of samples in milliseconds. */
export function percentiles(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** The median of some figures (the upper one of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
