import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomerEntity } from './customer.entity';
import { CustomerRepository } from './customer.repository';
import { TypeOrmCustomerRepository } from './typeorm-customer.repository';

/** Binds {@link CustomerRepository} to TypeORM; global for the reason given in `CatalogDataAccessModule`. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([CustomerEntity])],
  providers: [{ provide: CustomerRepository, useClass: TypeOrmCustomerRepository }],
  exports: [CustomerRepository],
})
export class CustomersDataAccessModule {}
