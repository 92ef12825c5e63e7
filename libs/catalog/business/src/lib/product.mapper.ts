import type { ProductDto } from '@strata/catalog/contracts';
import type { ProductRecord } from '@strata/catalog/data-access';

/** What the API shows of a stored product: field by field, so either side can change alone. */
export function toProductDto({ id, sku, name, priceCents, stock }: ProductRecord): ProductDto {
  return { id, sku, name, priceCents, stock };
}
