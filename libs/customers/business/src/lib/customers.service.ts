import { Injectable } from '@nestjs/common';
import { CreateCustomerDto, CustomerDto, CustomerNotFoundError, CustomersPort } from '@strata/customers/contracts';
import { CustomerRepository } from '@strata/customers/data-access';
import { toCustomerDto } from './customer.mapper';

@Injectable()
export class CustomersService extends CustomersPort {
  constructor(private readonly customers: CustomerRepository) {
    super();
  }

  async createCustomer(customer: CreateCustomerDto): Promise<CustomerDto> {
    return toCustomerDto(await this.customers.insert({ email: customer.email.trim(), name: customer.name.trim() }));
  }

  async getCustomer(customerId: string): Promise<CustomerDto> {
    const customer = await this.customers.findById(customerId);
    if (!customer) throw new CustomerNotFoundError(customerId);
    return toCustomerDto(customer);
  }
}
