import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { provideIdempotencyStore } from '@strata/platform/database';
import { CustomerEntity } from './customer.entity';
import { CustomersIdempotency } from './customers-idempotency';
import { CustomerRepository } from './customer.repository';
import { TypeOrmCustomerRepository } from './typeorm-customer.repository';

/** Binds {@link CustomerRepository} to TypeORM; global for the reason given in `CatalogDataAccessModule`. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([CustomerEntity])],
  providers: [
    { provide: CustomerRepository, useClass: TypeOrmCustomerRepository },
    provideIdempotencyStore(CustomersIdempotency, 'customers'),
  ],
  exports: [CustomerRepository, CustomersIdempotency],
})
export class CustomersDataAccessModule {}
