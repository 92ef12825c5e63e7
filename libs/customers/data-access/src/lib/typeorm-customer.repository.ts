import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { DuplicateEmailError } from '@strata/customers/contracts';
import { FindByIdStatement, isUniqueViolation } from '@strata/platform/database';
import { CustomerEntity } from './customer.entity';
import type { CustomerRecord, NewCustomerRecord } from './customer.record';
import { CustomerRepository } from './customer.repository';

/** A customer by its id, read for every order placed, as one prepared statement (ADR 0020). */
const CUSTOMER_BY_ID = new FindByIdStatement(CustomerEntity);

@Injectable()
export class TypeOrmCustomerRepository extends CustomerRepository {
  constructor(
    @InjectRepository(CustomerEntity) private readonly customers: Repository<CustomerEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
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
    const customer = await CUSTOMER_BY_ID.run(this.dataSource, customerId);
    return customer ? toCustomerRecord(customer) : null;
  }
}

function toCustomerRecord({ id, email, name, createdAt }: CustomerEntity): CustomerRecord {
  return { id, email, name, createdAt: createdAt.toISOString() };
}
