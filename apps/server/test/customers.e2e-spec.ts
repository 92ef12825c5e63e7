import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startApi, type ApiTarget } from './support/api-target';

describe('/api/customers', () => {
  let target: ApiTarget;
  const api = () => request(target.baseUrl);

  beforeAll(async () => {
    target = await startApi();
  });
  afterAll(() => target.stop());

  const email = () => `ada-${randomUUID()}@example.com`;

  it('creates a customer: 201 {id, email, name, createdAt}', async () => {
    const address = email();

    const response = await api().post('/api/customers').send({ email: address, name: 'Ada Lovelace' }).expect(201);

    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: address,
      name: 'Ada Lovelace',
      createdAt: expect.any(String),
    });
    expect(new Date(response.body.createdAt).toISOString()).toBe(response.body.createdAt);
  });

  it('reads a customer back: 200', async () => {
    const created = (await api().post('/api/customers').send({ email: email(), name: 'Ada' }).expect(201)).body;

    await api().get(`/api/customers/${created.id}`).expect(200, created);
  });

  it('refuses a duplicate email, whatever its case: 409', async () => {
    const address = email();
    await api().post('/api/customers').send({ email: address, name: 'Ada' }).expect(201);

    const response = await api().post('/api/customers').send({ email: address.toUpperCase(), name: 'Other' }).expect(409);

    expect(response.body).toMatchObject({ statusCode: 409, code: 'customers.duplicate_email' });
  });

  it('answers 404 for an unknown customer', async () => {
    const response = await api().get(`/api/customers/${randomUUID()}`).expect(404);

    expect(response.body).toMatchObject({ statusCode: 404, code: 'customers.customer_not_found' });
  });

  it('answers 400 naming the id for a malformed id', async () => {
    const response = await api().get('/api/customers/not-a-uuid').expect(400);

    expect(response.body).toMatchObject({ message: ['id must be a UUID'], code: 'http.validation_failed' });
  });

  it.each([
    ['a missing email', { name: 'Ada' }, 'email'],
    ['an invalid email', { email: 'not-an-email', name: 'Ada' }, 'email'],
    ['an empty name', { email: 'EMAIL', name: '' }, 'name'],
    ['a name of the wrong type', { email: 'EMAIL', name: 42 }, 'name'],
    ['a name of spaces', { email: 'EMAIL', name: ' \t ' }, 'name must not be empty or blank'],
    ['a name with a NUL byte', { email: 'EMAIL', name: 'Ada\u0000' }, 'name must not contain NUL'],
    ['a name with half a surrogate pair', { email: 'EMAIL', name: 'Ada\ud800' }, 'name must be valid Unicode'],
    // validator.js's email check throws on one (URIError): a 500 before IsEmailAddress.
    ['an email with half a surrogate pair', { email: 'ada\ud800@example.com', name: 'Ada' }, 'email must be valid Unicode'],
    ['an email that is half a surrogate pair', { email: '\udc00', name: 'Ada' }, 'email must be valid Unicode'],
    ['an unknown property', { email: 'EMAIL', name: 'Ada', admin: true }, 'property admin should not exist'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_, template, field) => {
    const address = email();
    const body = { ...template, ...('email' in template && template.email === 'EMAIL' ? { email: address } : {}) };

    const response = await api().post('/api/customers').send(body).expect(400);

    expect(response.body).toMatchObject({ statusCode: 400, code: 'http.validation_failed' });
    expect(response.body.message.join('\n')).toContain(field);
    // Nothing was written: the same email is still free.
    await api().post('/api/customers').send({ email: address, name: 'Ada' }).expect(201);
  });
});
