import { CustomerNotFoundError } from '@strata/customers/contracts';
import type { CustomerRecord, CustomerRepository, CustomersIdempotency, NewCustomerRecord } from '@strata/customers/data-access';
import { CustomersService } from './customers.service';

/** Unused without an Idempotency-Key in the request context, as in these tests (see `runIdempotently`'s own). */
const idempotency = {} as CustomersIdempotency;

describe('CustomersService', () => {
  it('answers CustomerNotFoundError for an unknown customer', async () => {
    const service = new CustomersService({ findById: async () => null } as unknown as CustomerRepository, idempotency);

    await expect(service.getCustomer('00000000-0000-4000-8000-000000000001')).rejects.toBeInstanceOf(CustomerNotFoundError);
  });

  it('stores the email and name without surrounding blanks', async () => {
    const insert = jest.fn(async (customer: NewCustomerRecord): Promise<CustomerRecord> => ({
      createdAt: '2026-01-01T00:00:00.000Z',
      ...customer,
    }));
    const service = new CustomersService({ insert } as unknown as CustomerRepository, idempotency);

    const created = await service.createCustomer({ email: ' ada@example.com ', name: ' Ada ' });

    expect(insert).toHaveBeenCalledWith({ id: expect.any(String), email: 'ada@example.com', name: 'Ada' });
    expect(created).toEqual({
      id: insert.mock.calls[0][0].id,
      email: 'ada@example.com',
      name: 'Ada',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });
});
