import type { OrderDto } from '@strata/orders/contracts';
import type { OrderRecord } from '@strata/orders/data-access';

/** What the API shows of a stored order: field by field, so either side can change alone. */
export function toOrderDto({ id, customerId, status, totalCents, lines, createdAt }: OrderRecord): OrderDto {
  return {
    id,
    customerId,
    status,
    totalCents,
    lines: lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    createdAt,
  };
}
