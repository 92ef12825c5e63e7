import { defineJob } from '@strata/platform/queue';

export const ORDERS_QUEUE = 'orders';

export interface ConfirmOrderPayload {
  orderId: string;
}

/**
 * Written to the orders outbox with the order itself (so it exists exactly when the order does);
 * its handler moves the order from pending to confirmed.
 */
export const ConfirmOrderJob = defineJob<ConfirmOrderPayload>(ORDERS_QUEUE, 'orders.confirm', {
  // Like the settle job, it must outlast an outage of the unit it calls (the data unit restarting
  // takes longer than the default attempts' few seconds of backoff).
  attempts: 16,
});

export interface SettleOrderPayload {
  orderId: string;
}

/**
 * The safety net of placing an order, enqueued (delayed) before any stock is taken. Placing an
 * order spans units with no shared transaction; if a unit dies between reserving the stock and
 * recording the order, or between recording it and queueing its confirmation, this job finishes
 * the work: it gives back stock reserved for an order that was never recorded, and confirms an
 * order left pending.
 */
export const SettleOrderJob = defineJob<SettleOrderPayload>(ORDERS_QUEUE, 'orders.settle', {
  // A safety net must outlast the outage it covers (the unit it calls may be down too): with the
  // queue's exponential backoff from 200 ms, 16 attempts span about 3.6 hours.
  attempts: 16,
});

/** The settle job's id for an order: one per order, so a retry of the placement does not add a second. */
export const settleJobId = (orderId: string): string => `settle-${orderId}`;

export interface ReleaseOrderStockPayload {
  orderId: string;
}

/**
 * Written to the orders outbox in the transaction that cancels an order, so a cancelled order's
 * stock goes back even if the unit dies right after the cancel or the catalog is unreachable then.
 * Its handler releases the reservation (idempotent: once per reservation id).
 */
export const ReleaseOrderStockJob = defineJob<ReleaseOrderStockPayload>(ORDERS_QUEUE, 'orders.release-stock', {
  // Like the settle job, it must outlast an outage of the catalog.
  attempts: 16,
});
