import { IdempotencyPort, IdempotencyStore } from '@strata/platform/ports';

/** The customers module's Idempotency-Keys, kept beside its data (`customers.idempotency_keys`); see `runIdempotently`. */
@IdempotencyPort('customers.idempotency')
export abstract class CustomersIdempotency extends IdempotencyStore {}
