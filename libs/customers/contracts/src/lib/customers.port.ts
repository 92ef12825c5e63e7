import type { CreateCustomerDto, CustomerDto } from './customer.dto';

/** What the customers module offers; see `CatalogPort` for the rules every port follows. */
export abstract class CustomersPort {
  /** @throws DuplicateEmailError (emails are compared without regard to case) */
  abstract createCustomer(customer: CreateCustomerDto): Promise<CustomerDto>;

  /** @throws CustomerNotFoundError */
  abstract getCustomer(customerId: string): Promise<CustomerDto>;
}
