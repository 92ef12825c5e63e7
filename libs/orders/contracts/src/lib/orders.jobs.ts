import { defineJob } from '@strata/platform/queue';

export const ORDERS_QUEUE = 'orders';

export interface ConfirmOrderPayload {
  orderId: string;
}

/** Enqueued when an order is placed; its handler moves the order from pending to confirmed. */
export const ConfirmOrderJob = defineJob<ConfirmOrderPayload>(ORDERS_QUEUE, 'orders.confirm');
