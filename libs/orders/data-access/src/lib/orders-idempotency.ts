import { IdempotencyPort, IdempotencyStore } from '@strata/platform/ports';

/** The orders module's Idempotency-Keys, kept beside its data (`orders.idempotency_keys`); see `runIdempotently`. */
@IdempotencyPort('orders.idempotency')
export abstract class OrdersIdempotency extends IdempotencyStore {}
