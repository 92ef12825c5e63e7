import { CustomerNotFoundError } from '@strata/customers/contracts';
import type { CustomerRecord, CustomerRepository, NewCustomerRecord } from '@strata/customers/data-access';
import { CustomersService } from './customers.service';

describe('CustomersService', () => {
  it('answers CustomerNotFoundError for an unknown customer', async () => {
    const service = new CustomersService({ findById: async () => null } as unknown as CustomerRepository);

    await expect(service.getCustomer('00000000-0000-4000-8000-000000000001')).rejects.toBeInstanceOf(CustomerNotFoundError);
  });

  it('stores the email and name without surrounding blanks', async () => {
    const insert = jest.fn(async (customer: NewCustomerRecord): Promise<CustomerRecord> => ({
      id: 'c-1',
      createdAt: '2026-01-01T00:00:00.000Z',
      ...customer,
    }));
    const service = new CustomersService({ insert } as unknown as CustomerRepository);

    const created = await service.createCustomer({ email: ' ada@example.com ', name: ' Ada ' });

    expect(insert).toHaveBeenCalledWith({ email: 'ada@example.com', name: 'Ada' });
    expect(created).toEqual({ id: 'c-1', email: 'ada@example.com', name: 'Ada', createdAt: '2026-01-01T00:00:00.000Z' });
  });
});
