import { randomUUID } from 'node:crypto';
import { DuplicateEmailError } from '@strata/customers/contracts';
import { startDataAccess, type DataAccessTestContext } from '@strata/platform/testing';
import { CustomerRepository } from './customer.repository';
import { CustomersDataAccessModule } from './customers-data-access.module';

describe('TypeOrmCustomerRepository (PostgreSQL)', () => {
  let context: DataAccessTestContext;
  let customers: CustomerRepository;

  beforeAll(async () => {
    context = await startDataAccess(CustomersDataAccessModule);
    customers = context.module.get(CustomerRepository);
  });
  afterAll(() => context.close());

  const uniqueEmail = () => `user-${randomUUID()}@example.com`;

  it('stores a customer and reads it back with an ISO creation date', async () => {
    const email = uniqueEmail();
    const created = await customers.insert({ id: randomUUID(), email, name: 'Ada' });

    expect(created).toEqual({ id: expect.any(String), email, name: 'Ada', createdAt: expect.any(String) });
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
    await expect(customers.findById(created.id)).resolves.toEqual(created);
  });

  it('refuses a second customer with the same email, whatever its case', async () => {
    const email = uniqueEmail();
    await customers.insert({ id: randomUUID(), email, name: 'Ada' });

    await expect(customers.insert({ id: randomUUID(), email: email.toUpperCase(), name: 'Impostor' })).rejects.toBeInstanceOf(
      DuplicateEmailError,
    );
  });

  it('lets exactly one of two racing registrations of an email win', async () => {
    const email = uniqueEmail();

    const results = await Promise.allSettled([
      customers.insert({ id: randomUUID(), email, name: 'A' }),
      customers.insert({ id: randomUUID(), email, name: 'B' }),
    ]);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: expect.any(DuplicateEmailError) });
  });

  it('answers a second insert of the same id with the customer recorded, even one racing it (a retried request)', async () => {
    const customer = { id: randomUUID(), email: uniqueEmail(), name: 'Ada' };

    const [first, second] = await Promise.all([customers.insert(customer), customers.insert(customer)]);
    const third = await customers.insert(customer);

    expect(second).toEqual(first);
    expect(third).toEqual(first);
    await expect(customers.findById(customer.id)).resolves.toEqual(first);
  });

  it('answers null for an unknown id', async () => {
    await expect(customers.findById(randomUUID())).resolves.toBeNull();
  });
});
