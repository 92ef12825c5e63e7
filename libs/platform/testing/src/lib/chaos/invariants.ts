import { createPostgresBackend, createRedisBackend, Queue } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { isRetryable } from './careful-client';
import type { ClientRecord } from './chaos-clients';

/** The invariants a chaos run checks, by the name its figures report them under. */
export const INVARIANTS = {
  stock: 'stock accounted for',
  acknowledged: 'acknowledged writes kept',
  confirmedHoldsStock: 'confirmed orders hold their stock',
  noJobLost: 'no job lost',
  noDuplicate: 'no duplicate effects',
  documentedAnswers: 'no unexpected answer (5xx other than 503, 504)',
} as const;
export type Invariant = keyof typeof INVARIANTS;

/** One broken invariant, with the rows or answers that show it. */
export interface Violation {
  invariant: Invariant;
  detail: string;
}

/** Job states that mean work is still to come. */
const UNFINISHED = ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'] as const;

/** Which job queues a deployment's units use. */
export interface QueueNames {
  names: string[];
  /** The PostgreSQL schema of BullMQ's tables when the queue is on PostgreSQL (`QUEUE_SCHEMA` of the queue library). */
  schema: string;
}

/** The deployment's job queues, read with the backend its units use (not the process-wide default). */
export function openQueues(queues: QueueNames, backend: { redisUrl?: string; databaseUrl: string; prefix: string }): Queue[] {
  return queues.names.map((name) => {
    if (!backend.redisUrl)
      return new Queue(name, { connection: { connectionString: backend.databaseUrl, schema: queues.schema } }, createPostgresBackend);
    const url = new URL(backend.redisUrl);
    const connection = {
      host: url.hostname,
      port: Number(url.port || 6379),
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    };
    return new Queue(name, { connection, prefix: backend.prefix }, createRedisBackend);
  }) as Queue[];
}

export interface QuiescenceSnapshot {
  pendingOrders: number;
  outboxRows: number;
  unfinishedJobs: number;
}

async function snapshot(db: Client, queues: Queue[]): Promise<QuiescenceSnapshot> {
  const { rows } = await db.query<{ pending: number; outbox: number }>(
    `SELECT (SELECT count(*)::int FROM orders.orders WHERE status = 'pending') AS pending, (SELECT count(*)::int FROM orders.outbox) AS outbox`,
  );
  let unfinishedJobs = 0;
  for (const queue of queues) {
    const counts = await queue.getJobCounts(...UNFINISHED);
    unfinishedJobs += Object.values(counts).reduce((sum, count) => sum + count, 0);
  }
  return { pendingOrders: rows[0].pending, outboxRows: rows[0].outbox, unfinishedJobs };
}

/**
 * Waits until nothing is left to happen: no job waiting, delayed or running, the outbox empty,
 * and no order pending. An order still pending once the queue and the outbox have been empty for
 * `stuckMs` will stay so (nothing is left to confirm it): the wait ends, and the checks report it.
 */
export async function waitUntilQuiescent(
  db: Client,
  queues: Queue[],
  { timeoutMs, stuckMs = 5000 }: { timeoutMs: number; stuckMs?: number },
): Promise<{ quiescent: boolean; snapshot: QuiescenceSnapshot }> {
  const deadline = Date.now() + timeoutMs;
  let idleSince: number | undefined;
  for (;;) {
    const now = await snapshot(db, queues);
    const idle = now.outboxRows === 0 && now.unfinishedJobs === 0;
    if (idle && now.pendingOrders === 0) return { quiescent: true, snapshot: now };
    idleSince = idle ? (idleSince ?? Date.now()) : undefined;
    if ((idleSince !== undefined && Date.now() - idleSince >= stuckMs) || Date.now() > deadline) return { quiescent: false, snapshot: now };
    await sleep(250);
  }
}

/** What a run set up: each product's stock before the first order. */
export interface Seeded {
  initialStock: Map<string, number>;
}

/**
 * Checks every invariant against PostgreSQL (the deployment's own database, read directly) and
 * the queue, once quiescent. Returns every violation found, none when all hold.
 */
export async function checkInvariants(db: Client, queues: Queue[], seeded: Seeded, clients: ClientRecord[]): Promise<Violation[]> {
  const violations: Violation[] = [];
  const violate = (invariant: Invariant, detail: string) => violations.push({ invariant, detail });
  const productIds = [...seeded.initialStock.keys()];

  // Stock: what a product started with is on the shelf or in a live order, nowhere else.
  const { rows: stock } = await db.query<{ id: string; stock: number; held: number }>(
    `SELECT p.id, p.stock, coalesce(sum(l.quantity) FILTER (WHERE o.status <> 'cancelled'), 0)::int AS held
       FROM catalog.products p
       LEFT JOIN orders.order_lines l ON l.product_id = p.id
       LEFT JOIN orders.orders o ON o.id = l.order_id
      WHERE p.id = ANY($1) GROUP BY p.id, p.stock`,
    [productIds],
  );
  for (const row of stock) {
    const initial = seeded.initialStock.get(row.id) as number;
    if (row.stock + row.held !== initial)
      violate('stock', `product ${row.id}: started with ${initial}, now ${row.stock} on the shelf + ${row.held} in live orders`);
  }
  // The rows behind a stock leak: reservations still holding stock that no live order accounts for.
  const { rows: leaked } = await db.query<{ id: string; status: string | null; lines: unknown }>(
    `SELECT r.id, o.status, r.lines FROM catalog.stock_reservations r LEFT JOIN orders.orders o ON o.id = r.id
      WHERE r.released_at IS NULL AND (o.id IS NULL OR o.status = 'cancelled')`,
  );
  for (const row of leaked)
    violate('stock', `reservation ${row.id} still holds ${JSON.stringify(row.lines)} for ${row.status ? 'a cancelled order' : 'no order'}`);

  // Acknowledged writes: every 201 order exists, every 200 cancel stuck.
  const acknowledgedOrders = clients.flatMap((client) =>
    client.placements.flatMap((placement) =>
      placement.answers.filter((answer) => answer.status === 201).map((answer) => answer.body?.id as string),
    ),
  );
  const acknowledgedCancels = clients.flatMap((client) =>
    client.cancels.filter((cancel) => cancel.answers.some((answer) => answer.status === 200)).map((cancel) => cancel.orderId),
  );
  const { rows: orders } = await db.query<{ id: string; status: string }>(`SELECT id, status FROM orders.orders WHERE id = ANY($1)`, [
    [...new Set([...acknowledgedOrders, ...acknowledgedCancels])],
  ]);
  const statusOf = new Map(orders.map((order) => [order.id, order.status]));
  for (const id of new Set(acknowledgedOrders))
    if (!statusOf.has(id)) violate('acknowledged', `order ${id} was answered 201 and does not exist`);
  for (const id of new Set(acknowledgedCancels))
    if (statusOf.get(id) !== 'cancelled')
      violate('acknowledged', `order ${id} was answered 200 to its cancel and is ${statusOf.get(id) ?? 'missing'}`);

  // A confirmed order's stock is taken: its reservation exists and was not given back.
  const { rows: unbacked } = await db.query<{ id: string; reservation: string }>(
    `SELECT o.id, CASE WHEN r.id IS NULL THEN 'no reservation' ELSE 'its reservation released at ' || r.released_at END AS reservation
       FROM orders.orders o LEFT JOIN catalog.stock_reservations r ON r.id = o.id
      WHERE o.status = 'confirmed' AND (r.id IS NULL OR r.released_at IS NOT NULL)`,
  );
  for (const row of unbacked) violate('confirmedHoldsStock', `order ${row.id} is confirmed with ${row.reservation}`);

  // No job lost: nothing pending, nothing left in the outbox, nothing failed for good.
  const { rows: pending } = await db.query<{ id: string; created_at: Date }>(
    `SELECT id, created_at FROM orders.orders WHERE status = 'pending'`,
  );
  for (const row of pending) violate('noJobLost', `order ${row.id} (placed ${row.created_at.toISOString()}) is still pending`);
  const { rows: outbox } = await db.query<{ job_id: string }>(`SELECT job_id FROM orders.outbox`);
  for (const row of outbox) violate('noJobLost', `outbox row ${row.job_id} was never relayed`);
  for (const queue of queues)
    for (const job of await queue.getFailed(0, -1))
      violate(
        'noJobLost',
        `job ${job.name} ${job.id} ${JSON.stringify(job.data)} failed after ${job.attemptsMade} attempts: ${job.failedReason}`,
      );

  // Every answer is one the API documents: a fault is a 503 or 504, never a 500.
  for (const client of clients)
    for (const operation of [...client.placements, ...client.cancels])
      for (const answer of operation.answers)
        if (answer.status >= 500 && answer.status !== 503 && answer.status !== 504)
          violate(
            'documentedAnswers',
            `key ${operation.key} (POST ${operation.path}) was answered ${answer.status} ${JSON.stringify(answer.body)}`,
          );

  // No duplicate effects: one key, one outcome; one key, at most one order.
  for (const client of clients) {
    for (const operation of [...client.placements, ...client.cancels]) {
      const outcomes = operation.answers.filter((answer) => !isRetryable(answer));
      const distinct = new Set(outcomes.map((answer) => `${answer.status} ${answer.body?.id ?? answer.body?.code ?? ''}`));
      if (distinct.size > 1)
        violate('noDuplicate', `key ${operation.key} (POST ${operation.path}) got different outcomes: ${[...distinct].join(', ')}`);
    }
  }
  const { rows: perCustomer } = await db.query<{ customer_id: string; orders: number }>(
    `SELECT customer_id, count(*)::int AS orders FROM orders.orders WHERE customer_id = ANY($1) GROUP BY customer_id`,
    [clients.map((client) => client.customerId)],
  );
  const keysOf = new Map(clients.map((client) => [client.customerId, client.placements.length]));
  for (const row of perCustomer)
    if (row.orders > (keysOf.get(row.customer_id) as number))
      violate('noDuplicate', `customer ${row.customer_id} has ${row.orders} orders from ${keysOf.get(row.customer_id)} keys`);
  return violations;
}
