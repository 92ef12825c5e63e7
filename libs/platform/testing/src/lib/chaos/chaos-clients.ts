import { CarefulClient, outcomeOf, type Operation, type RetryPolicy } from './careful-client';
import type { Random } from './random';

/** What the clients do, besides placing orders. */
export interface Workload {
  /** Clients running at once, each with a customer of its own. */
  clients: number;
  /** The share of operations that cancel one of the client's acknowledged orders. */
  cancelRatio: number;
  /**
   * The share of finished operations sent once more with the same key, as a client that lost
   * the answer would: the idempotency check's direct test (the retries after faults are the others).
   */
  replayRatio: number;
}

export const DEFAULT_WORKLOAD: Workload = { clients: 8, cancelRatio: 0.25, replayRatio: 0.05 };

export interface OrderLine {
  productId: string;
  quantity: number;
}

/** Everything one client sent and was answered. */
export interface ClientRecord {
  customerId: string;
  placements: (Operation & { lines: OrderLine[] })[];
  cancels: (Operation & { orderId: string })[];
  replays: number;
  retries: number;
}

/** Live totals of all clients, for progress and for deciding when a run has done enough. */
export interface ClientCounters {
  placements: number;
  acknowledged: number;
}

/**
 * Runs the clients until `done()` says so: each places orders (one or two lines of random
 * products) for its own customer and cancels some of its acknowledged orders, through a
 * {@link CarefulClient}, and records every answer.
 */
export async function runClients(options: {
  baseUrl: string;
  customerIds: string[];
  productIds: string[];
  workload: Workload;
  retry: RetryPolicy;
  random: (client: number) => Random;
  counters: ClientCounters;
  done: () => boolean;
}): Promise<ClientRecord[]> {
  return Promise.all(
    options.customerIds.map(async (customerId, index) => {
      const random = options.random(index);
      const client = new CarefulClient(options.baseUrl, random, options.retry);
      const record: ClientRecord = { customerId, placements: [], cancels: [], replays: 0, retries: 0 };
      /** Acknowledged orders not cancelled yet: what this client may cancel. */
      const cancellable: string[] = [];
      while (!options.done()) {
        if (cancellable.length > 0 && random.chance(options.workload.cancelRatio)) {
          const orderId = cancellable.splice(random.int(0, cancellable.length - 1), 1)[0];
          const path = `/api/orders/${orderId}/cancel`;
          const cancel = { ...(await client.post(path)), orderId };
          record.cancels.push(cancel);
          if (random.chance(options.workload.replayRatio)) {
            record.replays++;
            await client.post(path, undefined, cancel);
          }
        } else {
          const first = random.pick(options.productIds);
          const second = random.pick(options.productIds);
          const lines = [first, ...(second === first || random.chance(0.5) ? [] : [second])].map((productId) => ({
            productId,
            quantity: random.int(1, 3),
          }));
          const body = { customerId, lines };
          const placement = { ...(await client.post('/api/orders', body)), lines };
          record.placements.push(placement);
          options.counters.placements++;
          const outcome = outcomeOf(placement);
          if (outcome.status === 201 && outcome.body?.id) {
            options.counters.acknowledged++;
            cancellable.push(outcome.body.id);
          }
          if (random.chance(options.workload.replayRatio)) {
            record.replays++;
            await client.post('/api/orders', body, placement);
          }
        }
      }
      record.retries = client.retries;
      return record;
    }),
  );
}
