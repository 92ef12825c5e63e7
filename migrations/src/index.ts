import { CreateCatalog1764000000001 } from './catalog/1764000000001-create-catalog';
import { CreateCustomers1764000000002 } from './customers/1764000000002-create-customers';
import { CreateOrders1764000000003 } from './orders/1764000000003-create-orders';
import { CreateOrderClaims1764000000004 } from './orders/1764000000004-create-order-claims';
import { CreateOrdersOutbox1764000000005 } from './orders/1764000000005-create-orders-outbox';
import { CreateCatalogIdempotencyKeys1764000000006 } from './catalog/1764000000006-create-catalog-idempotency-keys';
import { CreateCustomersIdempotencyKeys1764000000007 } from './customers/1764000000007-create-customers-idempotency-keys';
import { CreateOrdersIdempotencyKeys1764000000008 } from './orders/1764000000008-create-orders-idempotency-keys';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the bundled apps carry them and a
 * forgotten registration fails the migration tests instead of a deployment.
 */
export const migrations = [
  CreateCatalog1764000000001,
  CreateCustomers1764000000002,
  CreateOrders1764000000003,
  CreateOrderClaims1764000000004,
  CreateOrdersOutbox1764000000005,
  CreateCatalogIdempotencyKeys1764000000006,
  CreateCustomersIdempotencyKeys1764000000007,
  CreateOrdersIdempotencyKeys1764000000008,
];
