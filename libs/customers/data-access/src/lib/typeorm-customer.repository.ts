import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DuplicateEmailError } from '@strata/customers/contracts';
import { isUniqueViolation } from '@strata/platform/database';
import { CustomerEntity } from './customer.entity';
import type { CustomerRecord, NewCustomerRecord } from './customer.record';
import { CustomerRepository } from './customer.repository';

@Injectable()
export class TypeOrmCustomerRepository extends CustomerRepository {
  constructor(@InjectRepository(CustomerEntity) private readonly customers: Repository<CustomerEntity>) {
    super();
  }

  async insert({ email, name }: NewCustomerRecord): Promise<CustomerRecord> {
    try {
      return toCustomerRecord(await this.customers.save(this.customers.create({ email, name })));
    } catch (error) {
      if (isUniqueViolation(error, 'customers_email_lower_key')) throw new DuplicateEmailError(email);
      throw error;
    }
  }

  async findById(customerId: string): Promise<CustomerRecord | null> {
    const customer = await this.customers.findOneBy({ id: customerId });
    return customer ? toCustomerRecord(customer) : null;
  }
}

function toCustomerRecord({ id, email, name, createdAt }: CustomerEntity): CustomerRecord {
  return { id, email, name, createdAt: createdAt.toISOString() };
}
