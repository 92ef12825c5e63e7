import { Port } from '@strata/platform/ports';
import type { CustomerRecord, NewCustomerRecord } from './customer.record';

/** The customers module's data port; see `ProductRepository` for why it speaks in its own records. */
@Port<CustomerRepository>('customers.customers', { insert: 'at-most-once', findById: 'idempotent' })
export abstract class CustomerRepository {
  /** @throws DuplicateEmailError */
  abstract insert(customer: NewCustomerRecord): Promise<CustomerRecord>;

  abstract findById(customerId: string): Promise<CustomerRecord | null>;
}
