import { IdempotencyPort, IdempotencyStore } from '@strata/platform/ports';

/** The catalog module's Idempotency-Keys, kept beside its data (`catalog.idempotency_keys`); see `runIdempotently`. */
@IdempotencyPort('catalog.idempotency')
export abstract class CatalogIdempotency extends IdempotencyStore {}
