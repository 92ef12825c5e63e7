import { Port } from '@strata/platform/ports';
import type { CreateCustomerDto, CustomerDto } from '@strata/customers/contracts';

/** The customers module's data port; see `ProductRepository` for why it speaks in plain records. */
@Port<CustomerRepository>('customers.customers', { insert: 'at-most-once', findById: 'idempotent' })
export abstract class CustomerRepository {
  /** @throws DuplicateEmailError */
  abstract insert(customer: CreateCustomerDto): Promise<CustomerDto>;

  abstract findById(customerId: string): Promise<CustomerDto | null>;
}
