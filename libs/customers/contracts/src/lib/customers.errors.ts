import { ConflictError, NotFoundError, registerErrors } from '@strata/platform/ports';

export class CustomerNotFoundError extends NotFoundError {
  static readonly code = 'customers.customer_not_found';

  constructor(customerId: string) {
    super(CustomerNotFoundError.code, `Customer ${customerId} was not found`, { customerId });
  }
}

export class DuplicateEmailError extends ConflictError {
  static readonly code = 'customers.duplicate_email';

  constructor(email: string) {
    super(DuplicateEmailError.code, `A customer with email "${email}" already exists`, { email });
  }
}

registerErrors(CustomerNotFoundError, DuplicateEmailError);
