import { Global, Module } from '@nestjs/common';
import { CustomersPort } from '@strata/customers/contracts';
import { CustomersService } from './customers.service';

/** Serves {@link CustomersPort}; needs a `CustomerRepository` from the unit's composition. */
@Global()
@Module({
  providers: [{ provide: CustomersPort, useClass: CustomersService }],
  exports: [CustomersPort],
})
export class CustomersBusinessModule {}
