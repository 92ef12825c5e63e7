import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CreateCustomerDto, CustomerDto, DuplicateEmailError } from '@strata/customers/contracts';
import { isUniqueViolation } from '@strata/platform/database';
import { CustomerEntity } from './customer.entity';
import { CustomerRepository } from './customer.repository';

@Injectable()
export class TypeOrmCustomerRepository extends CustomerRepository {
  constructor(@InjectRepository(CustomerEntity) private readonly customers: Repository<CustomerEntity>) {
    super();
  }

  async insert(customer: CreateCustomerDto): Promise<CustomerDto> {
    try {
      return toCustomer(await this.customers.save(this.customers.create(customer)));
    } catch (error) {
      if (isUniqueViolation(error, 'customers_email_lower_key')) throw new DuplicateEmailError(customer.email);
      throw error;
    }
  }

  async findById(customerId: string): Promise<CustomerDto | null> {
    const customer = await this.customers.findOneBy({ id: customerId });
    return customer ? toCustomer(customer) : null;
  }
}

function toCustomer({ id, email, name, createdAt }: CustomerEntity): CustomerDto {
  return { id, email, name, createdAt: createdAt.toISOString() };
}
