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

  async insert({ id, email, name }: NewCustomerRecord): Promise<CustomerRecord> {
    const customer = this.customers.create({ id, email, name });
    try {
      // An insert, never an upsert (as `save` would be, given an id); it reads back the creation date.
      await this.customers.insert(customer);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The same id: an earlier attempt of the same request recorded it, which is the answer.
      const recorded = await this.findById(id);
      if (recorded) return recorded;
      if (isUniqueViolation(error, 'customers_email_lower_key')) throw new DuplicateEmailError(email);
      throw error;
    }
    return toCustomerRecord(customer);
  }

  async findById(customerId: string): Promise<CustomerRecord | null> {
    const customer = await this.customers.findOneBy({ id: customerId });
    return customer ? toCustomerRecord(customer) : null;
  }
}

function toCustomerRecord({ id, email, name, createdAt }: CustomerEntity): CustomerRecord {
  return { id, email, name, createdAt: createdAt.toISOString() };
}
