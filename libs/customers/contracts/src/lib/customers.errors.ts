import { ConflictError, NotFoundError } from '@strata/platform/ports';

export class CustomerNotFoundError extends NotFoundError {
  constructor(customerId: string) {
    super('customers.customer_not_found', `Customer ${customerId} was not found`, { customerId });
  }
}

export class DuplicateEmailError extends ConflictError {
  constructor(email: string) {
    super('customers.duplicate_email', `A customer with email "${email}" already exists`, { email });
  }
}
