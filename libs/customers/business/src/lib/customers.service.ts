import { Injectable } from '@nestjs/common';
import { CreateCustomerDto, CustomerDto, CustomerNotFoundError, CustomersPort } from '@strata/customers/contracts';
import { CustomerRepository, CustomersIdempotency } from '@strata/customers/data-access';
import { runIdempotently } from '@strata/platform/ports';
import { toCustomerDto } from './customer.mapper';

@Injectable()
export class CustomersService extends CustomersPort {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly idempotency: CustomersIdempotency,
  ) {
    super();
  }

  /** Honours the client's `Idempotency-Key`: a retry gets the first answer (ADR 0015). */
  createCustomer(customer: CreateCustomerDto): Promise<CustomerDto> {
    return runIdempotently(this.idempotency, 'createCustomer', customer, async (customerId) =>
      toCustomerDto(await this.customers.insert({ id: customerId, email: customer.email.trim(), name: customer.name.trim() })),
    );
  }

  async getCustomer(customerId: string): Promise<CustomerDto> {
    const customer = await this.customers.findById(customerId);
    if (!customer) throw new CustomerNotFoundError(customerId);
    return toCustomerDto(customer);
  }
}
