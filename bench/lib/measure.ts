import autocannon, { type Options, type Request } from 'autocannon';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMicrosecondsByProcess } from './quiet';

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
  /**
   * Whether the work the answers left behind is done: every order placed is confirmed by its job.
   * A target that answers quickly and leaves a growing backlog to its worker runs at a rate it
   * cannot keep up; with this, a measurement lasts, and counts the CPU time, until it is done.
   */
  settled?: () => Promise<boolean>;
}

export interface Throughput {
  /** Answered per second; for an endpoint with `settled`, over the load and the time it took to settle after it. */
  requestsPerSecond: number;
  /** How long it was measured, in s: the load and, for an endpoint with `settled`, the time to settle after it. */
  seconds: number;
  /** How long after the load the endpoint's work was settled, in ms (0 without `settled`). */
  settleMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed requests: non-2xx answers not in `expected`, connection errors and timeouts (warm-up included). */
  errors: number;
  /** Answers in the endpoint's `expected` non-2xx statuses (warm-up included). */
  refused: number;
  /** Answers received in the measurement (warm-up not included): none means it measured nothing. */
  answered: number;
  /** What the errors were: counts by HTTP status, and of connection errors and timeouts (warm-up included). */
  failures: Record<string, number>;
  /**
   * The target's processes' CPU time (user and system, from /proc) per answered request over the
   * measurement, in µs; null off Linux. Requests per second also depend on what else the machine
   * runs (here the load generator, on the same cores); this does much less.
   */
  serverCpuUsPerRequest: number | null;
  /**
   * The same, process by process (a topology's units by name): where a split deployment's CPU goes.
   * Null off Linux.
   */
  serverCpuUsPerRequestByProcess: Record<string, number> | null;
}

export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

/**
 * Requests per second, and latency percentiles, under `connections` concurrent clients for
 * `seconds` (autocannon), after a warm-up of `warmUpSeconds` (none if 0). autocannon's histogram
 * has 1 ms resolution: fine under load, where answers take milliseconds; see
 * {@link sequentialLatency} for the unloaded case.
 */
export async function throughput(
  baseUrl: string,
  endpoint: Endpoint,
  connections: number,
  seconds: number,
  warmUpSeconds: number,
  /** The target's processes by name, whose CPU time is counted. */
  processes: Record<string, number> = {},
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
  const failures: Record<string, number> = {};
  const count = (what: string, times = 1) => times > 0 && (failures[what] = (failures[what] ?? 0) + times);
  const tally = (result: autocannon.Result) => {
    let refused = 0;
    for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
      const times = stats?.count ?? 0;
      if (endpoint.expected?.includes(Number(status))) refused += times;
      else if (!status.startsWith('2')) count(status, times);
    }
    count('connection errors', result.errors);
    count('timeouts', result.timeouts);
    return { refused, errors: result.non2xx - refused + result.errors + result.timeouts };
  };
  const warmUp = warmUpSeconds > 0 ? tally(await autocannon(options(warmUpSeconds))) : { refused: 0, errors: 0 }; // JIT, connection pools
  await untilSettled(endpoint);
  const cpuBefore = Object.keys(processes).length > 0 ? cpuMicrosecondsByProcess(processes) : undefined;
  const startedAt = Date.now();
  const result = await autocannon(options(seconds));
  const loadEndedAt = Date.now();
  await untilSettled(endpoint);
  const settledAt = Date.now();
  const cpuAfter = cpuBefore === undefined ? undefined : cpuMicrosecondsByProcess(processes);
  const measured = tally(result);
  const measuredSeconds = endpoint.settled ? (settledAt - startedAt) / 1000 : result.duration;
  return {
    requestsPerSecond: measuredSeconds > 0 ? result.requests.total / measuredSeconds : 0,
    seconds: measuredSeconds,
    settleMs: settledAt - loadEndedAt,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: warmUp.errors + measured.errors,
    refused: warmUp.refused + measured.refused,
    answered: result.requests.total,
    failures,
    ...cpuPerRequest(cpuBefore, cpuAfter, result.requests.total),
  };
}

function cpuPerRequest(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
  requests: number,
): Pick<Throughput, 'serverCpuUsPerRequest' | 'serverCpuUsPerRequestByProcess'> {
  if (before === undefined || after === undefined || requests === 0)
    return { serverCpuUsPerRequest: null, serverCpuUsPerRequestByProcess: null };
  const byProcess = Object.fromEntries(Object.keys(before).map((name) => [name, (after[name] - before[name]) / requests]));
  return { serverCpuUsPerRequest: sumOf(Object.values(byProcess)), serverCpuUsPerRequestByProcess: byProcess };
}

const sumOf = (values: number[]) => values.reduce((total, value) => total + value, 0);

const SETTLE_TIMEOUT_MS = 120_000;

/** Waits for the endpoint's work to be settled (see {@link Endpoint.settled}); fails after two minutes. */
async function untilSettled({ name, settled }: Endpoint): Promise<void> {
  if (!settled) return;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (!(await settled())) {
    if (Date.now() > deadline) throw new Error(`${name}: its work was not settled ${SETTLE_TIMEOUT_MS / 1000} s after the load`);
    await sleep(20);
  }
}

/**
 * The slices of one round's load on a target as one measurement: requests per second and CPU time
 * per request over all of them; the latency percentiles, and the time to settle, their medians.
 */
export function combineSlices(slices: Throughput[]): Throughput {
  const answered = slices.reduce((sum, slice) => sum + slice.answered, 0);
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0);
  // CPU time over all the slices, process by process, over the requests answered in all of them.
  const measured = slices.every((slice) => slice.serverCpuUsPerRequestByProcess !== null);
  const cpuByProcess: Record<string, number> = {};
  for (const slice of slices) {
    for (const [name, perRequest] of Object.entries(slice.serverCpuUsPerRequestByProcess ?? {})) {
      cpuByProcess[name] = (cpuByProcess[name] ?? 0) + perRequest * slice.answered;
    }
  }
  return {
    requestsPerSecond: seconds > 0 ? answered / seconds : 0,
    seconds,
    settleMs: median(slices.map((slice) => slice.settleMs)),
    p50Ms: median(slices.map((slice) => slice.p50Ms)),
    p99Ms: median(slices.map((slice) => slice.p99Ms)),
    errors: slices.reduce((sum, slice) => sum + slice.errors, 0),
    refused: slices.reduce((sum, slice) => sum + slice.refused, 0),
    // The fewest of any slice: 0 if one measured nothing.
    answered: Math.min(...slices.map((slice) => slice.answered)),
    failures: addFailures(slices.map((slice) => slice.failures)),
    serverCpuUsPerRequest: !measured || answered === 0 ? null : sumOf(Object.values(cpuByProcess)) / answered,
    serverCpuUsPerRequestByProcess:
      !measured || answered === 0 ? null : Object.fromEntries(Object.entries(cpuByProcess).map(([name, cpu]) => [name, cpu / answered])),
  };
}

/** Latency one request at a time, and the answers that were neither 2xx nor expected. */
export interface Sequential extends Latency {
  errors: number;
  /** Counts by HTTP status. */
  failures: Record<string, number>;
}

/**
 * Latency percentiles of one request at a time over a kept-alive connection, timed with the
 * high-resolution clock: what one call costs when nothing else is running. Stops after `count`
 * requests or `maxSeconds`, whichever comes first. An answer that is neither 2xx nor one of the
 * endpoint's `expected` statuses is counted as an error (and timed all the same); a request that
 * gets no answer at all fails the measurement.
 */
export async function sequentialLatency(baseUrl: string, endpoint: Endpoint, count: number, maxSeconds: number): Promise<Sequential> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(baseUrl);
  const failures: Record<string, number> = {};
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
            const status = res.statusCode ?? 0;
            if (status >= 300 && !endpoint.expected?.includes(status)) failures[status] = (failures[status] ?? 0) + 1;
            resolve(Number(process.hrtime.bigint() - startedAt) / 1e6);
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
    const errors = Object.values(failures).reduce((sum, times) => sum + times, 0);
    return { ...percentiles(samples), errors, failures };
  } finally {
    agent.destroy();
  }
}

/** Failure counts of several measurements, added up. */
export function addFailures(all: Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const failures of all) for (const [what, times] of Object.entries(failures)) sum[what] = (sum[what] ?? 0) + times;
  return sum;
}

/** `503 × 3, timeouts × 1`: what went wrong, for a person. */
export function describeFailures(failures: Record<string, number>): string {
  return Object.entries(failures)
    .map(([what, times]) => `${what} × ${times}`)
    .join(', ');
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
