import type { OrderLineDto } from '@strata/orders/contracts';

/** An order's total: each line's quantity at the unit price fixed when its stock was reserved. */
export function totalCentsOf(lines: Pick<OrderLineDto, 'quantity' | 'unitPriceCents'>[]): number {
  return lines.reduce((total, line) => total + line.quantity * line.unitPriceCents, 0);
}
