import { Port } from '@strata/platform/ports';
import type { CustomerRecord, NewCustomerRecord } from './customer.record';

/** The customers module's data port; see `ProductRepository` for why it speaks in its own records. */
@Port<CustomerRepository>('customers.customers', { insert: 'idempotent', findById: 'idempotent' })
export abstract class CustomerRepository {
  /**
   * Idempotent by id: inserting a customer already recorded answers it as recorded.
   * @throws DuplicateEmailError
   */
  abstract insert(customer: NewCustomerRecord): Promise<CustomerRecord>;

  abstract findById(customerId: string): Promise<CustomerRecord | null>;
}
