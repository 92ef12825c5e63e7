import { Port } from '@strata/platform/ports';
import { CreateCustomerDto, type CustomerDto } from './customer.dto';

/** What the customers module offers; see `CatalogPort` for the rules every port follows. */
@Port<CustomersPort>('customers', {
  createCustomer: { call: 'at-most-once', args: [CreateCustomerDto] },
  getCustomer: 'idempotent',
})
export abstract class CustomersPort {
  /** @throws DuplicateEmailError (emails are compared without regard to case) */
  abstract createCustomer(customer: CreateCustomerDto): Promise<CustomerDto>;

  /** @throws CustomerNotFoundError */
  abstract getCustomer(customerId: string): Promise<CustomerDto>;
}
