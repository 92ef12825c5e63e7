import type { Queue } from 'bullmq';
import { randomInt, randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { CarefulClient, DEFAULT_RETRY_POLICY, isRetryable, outcomeOf, type Operation, type RetryPolicy } from './careful-client';
import { DEFAULT_WORKLOAD, runClients, type ClientCounters, type ClientRecord, type Workload } from './chaos-clients';
import { ChaosDeployment } from './chaos-deployment';
import {
  DEFAULT_FAULT_SCHEDULE,
  FAULT_KINDS,
  FaultScheduler,
  type FaultKind,
  type FaultSchedule,
  type InjectedFault,
} from './fault-scheduler';
import { checkInvariants, INVARIANTS, openQueues, waitUntilQuiescent, type Invariant, type QueueNames, type Violation } from './invariants';
import { Random } from './random';

export interface ChaosOptions {
  /** The built unit and migration programs, and the topology to run. */
  main: string;
  migrate: string;
  topologyFile: string;
  /** The unit serving the public API. */
  apiUnit: string;
  /** A PostgreSQL server: the run gets a database of its own on it, dropped at the end. */
  postgresUrl: string;
  /** The queue on this Redis; none: the queue lives in PostgreSQL. */
  redisUrl?: string;
  /** The job queues the units use, watched for quiescence and failed jobs. */
  queues: QueueNames;
  /** Stop once at least this many orders were acknowledged (201) and this many faults injected... */
  orders: number;
  faults: number;
  /** ...or after this long under load (set-up not counted), whichever comes first. */
  maxSeconds: number;
  /** Fixes the run's random choices (printed in the figures); random by default. */
  seed?: number;
  /** More environment for every unit, over the run's CALL_TIMEOUT_MS=1000 and SETTLE_AFTER_MS=3000. */
  env?: Record<string, string>;
  workload?: Partial<Workload>;
  schedule?: Partial<FaultSchedule>;
  retry?: Partial<RetryPolicy>;
  /** How long the system may take to settle once the faults stop. */
  quiescenceTimeoutMs?: number;
  /** How long a unit may take to start or restart (default 60 s: a busy machine starts units slowly). */
  startTimeoutMs?: number;
  /** Receives a line of progress every few seconds. */
  progress?: (line: string) => void;
}

/** What a run did and found: the figures its table shows. */
export interface ChaosFigures {
  backend: 'redis' | 'postgres';
  seed: number;
  /** Under load: from the clients' start until the last of them stopped. */
  seconds: number;
  orders: Tally;
  cancels: Tally;
  retries: number;
  replays: number;
  faults: Record<FaultKind, number>;
  /** Orders in the database at the end, by status. */
  confirmed: number;
  cancelled: number;
  quiescedInSeconds: number;
  violations: Record<Invariant, number>;
}

/** Operations by outcome: acknowledged (201/200), refused (any other final answer, e.g. 409 out of stock), unresolved (the client gave up retrying). */
export interface Tally {
  sent: number;
  acknowledged: number;
  refused: number;
  unresolved: number;
}

export interface ChaosReport {
  figures: ChaosFigures;
  violations: Violation[];
  faults: InjectedFault[];
  /** Faults that did not undo themselves as planned (the final restore did). */
  faultProblems: string[];
  /** Where the units' JSON logs are kept after the run. */
  logDir: string;
}

/**
 * The initial stock of the run's products: most never run out; two do early, so refusals for lack
 * of stock and races for the last units happen too.
 */
const PRODUCT_STOCKS = [...Array<number>(8).fill(1_000_000), 40, 40];

/**
 * One chaos run: starts the topology with a fault proxy on every link, sets up a customer per
 * client and some products, then runs the clients while faults are injected; stops the faults,
 * restores every unit, waits until the system is quiescent and checks the invariants.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const seed = options.seed ?? randomInt(2 ** 31);
  const backend = options.redisUrl ? 'redis' : 'postgres';
  const random = new Random(seed);
  const workload = { ...DEFAULT_WORKLOAD, ...options.workload };
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const prefix = `chaos-${randomUUID().slice(0, 8)}`;
  const progress = options.progress ?? (() => undefined);

  const deployment = await ChaosDeployment.start({
    main: options.main,
    migrate: options.migrate,
    topologyFile: options.topologyFile,
    postgresUrl: options.postgresUrl,
    redisUrl: options.redisUrl,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    // SETTLE_AFTER_MS must be at least 3 × CALL_TIMEOUT_MS (ADR 0010); small, so the safety net runs within the run.
    env: { CALL_TIMEOUT_MS: '1000', SETTLE_AFTER_MS: '3000', QUEUE_PREFIX: prefix, ...options.env },
  });
  const db = new Client({ connectionString: deployment.processes.databaseUrl });
  // Opened once the load is over: on PostgreSQL, BullMQ creates its schema when the units first use the queue.
  let queues: Queue[] = [];
  const scheduler = new FaultScheduler(deployment, random, { ...DEFAULT_FAULT_SCHEDULE, ...options.schedule });
  let stopped = false;
  try {
    await db.connect();
    const baseUrl = deployment.processes.unit(options.apiUnit).httpUrl;
    const setup = new CarefulClient(baseUrl, random, retry);
    const created = async (path: string, body: unknown) => expectStatus(await setup.post(path, body), 201).body?.id as string;
    const customerIds: string[] = [];
    for (let i = 0; i < workload.clients; i++)
      customerIds.push(await created('/api/customers', { email: `chaos-${randomUUID()}@example.com`, name: `Chaos client ${i}` }));
    const initialStock = new Map<string, number>();
    for (const [i, stock] of PRODUCT_STOCKS.entries())
      initialStock.set(
        await created('/api/products', { sku: `CHAOS-${randomUUID()}`, name: `Chaos product ${i}`, priceCents: 100 + i, stock }),
        stock,
      );

    const counters: ClientCounters = { placements: 0, acknowledged: 0 };
    const loadStartedAt = Date.now();
    const elapsed = () => (Date.now() - loadStartedAt) / 1000;
    const clients = runClients({
      baseUrl,
      customerIds,
      productIds: [...initialStock.keys()],
      workload,
      retry,
      random: (client) => new Random((seed ^ Math.imul(client + 1, 0x9e3779b9)) >>> 0),
      counters,
      done: () => stopped,
    });
    scheduler.start();
    const enough = () => counters.acknowledged >= options.orders && scheduler.injected.length >= options.faults;
    for (let lastReport = Date.now(); !enough() && elapsed() < options.maxSeconds; await sleep(100)) {
      if (Date.now() - lastReport < 5000) continue;
      lastReport = Date.now();
      progress(
        `[${backend}] ${elapsed().toFixed(0)} s: ${counters.placements} orders placed (${counters.acknowledged} acknowledged), ${scheduler.injected.length} faults`,
      );
    }
    // Faults stop first, so the clients' last operations find the units back and end soon.
    stopped = true;
    await scheduler.stop();
    await deployment.restore();
    const records = await clients;
    const seconds = elapsed();
    const clientsDoneAt = Date.now();
    progress(`[${backend}] ${seconds.toFixed(0)} s: faults stopped, every unit up; waiting until quiescent`);

    queues = openQueues(options.queues, { redisUrl: options.redisUrl, databaseUrl: deployment.processes.databaseUrl, prefix });
    const quiescence = await waitUntilQuiescent(db, queues, { timeoutMs: options.quiescenceTimeoutMs ?? 120_000 });
    const quiescedInSeconds = (Date.now() - clientsDoneAt) / 1000;
    const violations = await checkInvariants(db, queues, { initialStock }, records);
    if (!quiescence.quiescent)
      violations.push({
        invariant: 'noJobLost',
        detail: `not quiescent after ${quiescedInSeconds.toFixed(0)} s: ${JSON.stringify(quiescence.snapshot)}`,
      });
    const { rows } = await db.query<{ status: string; count: number }>(
      `SELECT status, count(*)::int AS count FROM orders.orders GROUP BY status`,
    );
    const ordersWith = (status: string) => rows.find((row) => row.status === status)?.count ?? 0;

    return {
      figures: {
        backend,
        seed,
        seconds,
        orders: tally(
          records.flatMap((record) => record.placements),
          201,
        ),
        cancels: tally(
          records.flatMap((record) => record.cancels),
          200,
        ),
        retries: sum(records, (record) => record.retries),
        replays: sum(records, (record) => record.replays),
        faults: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, scheduler.count(kind)])) as Record<FaultKind, number>,
        confirmed: ordersWith('confirmed'),
        cancelled: ordersWith('cancelled'),
        quiescedInSeconds,
        violations: Object.fromEntries(
          Object.keys(INVARIANTS).map((invariant) => [
            invariant,
            violations.filter((violation) => violation.invariant === invariant).length,
          ]),
        ) as Record<Invariant, number>,
      },
      violations,
      faults: scheduler.injected,
      faultProblems: scheduler.problems,
      logDir: dirname(deployment.processes.unit(options.apiUnit).logFile),
    };
  } finally {
    // On a failure half-way too: no client starts another operation, no fault another episode.
    stopped = true;
    await scheduler.stop();
    await Promise.all(queues.map((queue) => queue.close()));
    await db.end();
    await deployment.stop();
  }
}

function expectStatus(operation: Operation, status: number) {
  const outcome = outcomeOf(operation);
  if (outcome.status !== status)
    throw new Error(`POST ${operation.path}: expected ${status}, got ${outcome.status} ${JSON.stringify(outcome.body)}`);
  return outcome;
}

function tally(operations: Operation[], success: number): Tally {
  const acknowledged = operations.filter((operation) => operation.answers.some((answer) => answer.status === success)).length;
  const unresolved = operations.filter((operation) => operation.answers.every(isRetryable)).length;
  return { sent: operations.length, acknowledged, unresolved, refused: operations.length - acknowledged - unresolved };
}

function sum(records: ClientRecord[], of: (record: ClientRecord) => number): number {
  return records.reduce((total, record) => total + of(record), 0);
}

/** The figures of one or more runs as a plain-text table, one column per run. */
export function formatFigures(runs: ChaosFigures[]): string {
  const rows: [string, (figures: ChaosFigures) => string | number][] = [
    ['seed', (f) => f.seed],
    ['under load (s)', (f) => f.seconds.toFixed(0)],
    ['orders sent', (f) => f.orders.sent],
    ['  acknowledged (201)', (f) => f.orders.acknowledged],
    ['  refused', (f) => f.orders.refused],
    ['  unresolved (gave up)', (f) => f.orders.unresolved],
    ['cancels sent', (f) => f.cancels.sent],
    ['  acknowledged (200)', (f) => f.cancels.acknowledged],
    ['  refused', (f) => f.cancels.refused],
    ['  unresolved (gave up)', (f) => f.cancels.unresolved],
    ['retries', (f) => f.retries],
    ['replays', (f) => f.replays],
    ...FAULT_KINDS.map((kind): [string, (f: ChaosFigures) => number] => [`faults: ${kind}`, (f) => f.faults[kind]]),
    ['orders confirmed at the end', (f) => f.confirmed],
    ['orders cancelled at the end', (f) => f.cancelled],
    ['quiescent after (s)', (f) => f.quiescedInSeconds.toFixed(1)],
    ...(Object.keys(INVARIANTS) as Invariant[]).map((invariant): [string, (f: ChaosFigures) => number] => [
      `violations: ${INVARIANTS[invariant]}`,
      (f) => f.violations[invariant],
    ]),
  ];
  const table = [
    ['', ...runs.map((run) => `queue on ${run.backend}`)],
    ...rows.map(([label, value]) => [label, ...runs.map((run) => String(value(run)))]),
  ];
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  return table
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '))
    .join('\n');
}
