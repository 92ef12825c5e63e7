import type { CustomerDto } from '@strata/customers/contracts';
import type { CustomerRecord } from '@strata/customers/data-access';

/** What the API shows of a stored customer: field by field, so either side can change alone. */
export function toCustomerDto({ id, email, name, createdAt }: CustomerRecord): CustomerDto {
  return { id, email, name, createdAt };
}
