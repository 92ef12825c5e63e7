import { Injectable } from '@nestjs/common';
import { CreateCustomerDto, CustomerDto, CustomerNotFoundError, CustomersPort } from '@strata/customers/contracts';
import { CustomerRepository } from '@strata/customers/data-access';

@Injectable()
export class CustomersService extends CustomersPort {
  constructor(private readonly customers: CustomerRepository) {
    super();
  }

  createCustomer(customer: CreateCustomerDto): Promise<CustomerDto> {
    return this.customers.insert({ email: customer.email.trim(), name: customer.name.trim() });
  }

  async getCustomer(customerId: string): Promise<CustomerDto> {
    const customer = await this.customers.findById(customerId);
    if (!customer) throw new CustomerNotFoundError(customerId);
    return customer;
  }
}
