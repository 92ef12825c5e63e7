import { defineJob } from '@strata/platform/queue';

export const ORDERS_QUEUE = 'orders';

export interface ConfirmOrderPayload {
  orderId: string;
}

/** Enqueued when an order is placed; its handler moves the order from pending to confirmed. */
export const ConfirmOrderJob = defineJob<ConfirmOrderPayload>(ORDERS_QUEUE, 'orders.confirm');

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
