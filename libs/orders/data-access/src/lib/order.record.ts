/**
 * An order as the data port stores and reads it back. The port's own types, not the HTTP DTOs:
 * the business tier maps them (`toOrderDto`), so storage and API can change independently.
 * Dates cross as ISO strings, because the port may be remote.
 */
export interface OrderRecord {
  id: string;
  customerId: string;
  status: OrderRecordStatus;
  totalCents: number;
  /** In the order they were placed. */
  lines: OrderLineRecord[];
  createdAt: string;
}

/** The values of `orders.orders.status`. */
export type OrderRecordStatus = 'pending' | 'confirmed' | 'cancelled';

export interface OrderLineRecord {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

/** What `OrderRepository.insert` takes: an order recorded as pending, its creation date set by the database. */
export interface NewOrderRecord {
  /** Chosen by the business tier: it is also the stock reservation's id. */
  id: string;
  customerId: string;
  totalCents: number;
  lines: OrderLineRecord[];
}
