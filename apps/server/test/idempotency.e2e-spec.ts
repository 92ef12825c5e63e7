import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { startApi, type ApiTarget } from './support/api-target';
import { fixtures } from './support/fixtures';

/** `Idempotency-Key` on the at-most-once POSTs, in whichever topology the suite runs against. */
describe('Idempotency-Key', () => {
  let target: ApiTarget;
  let given: ReturnType<typeof fixtures>;
  const api = () => request(target.baseUrl);

  beforeAll(async () => {
    target = await startApi();
    given = fixtures(target.baseUrl);
  });
  afterAll(() => target.stop());

  async function orderOf(quantity: number) {
    const customer = await given.customer();
    const product = await given.product(5);
    return { product, body: { customerId: customer.id, lines: [{ productId: product.id, quantity }] } };
  }

  const ordersOf = async (customerId: string) => (await api().get('/api/orders').query({ customerId }).expect(200)).body.total;

  it('answers a retried order with the first answer, byte for byte, and takes the stock once', async () => {
    const { product, body } = await orderOf(2);
    const key = randomUUID();

    const first = await api().post('/api/orders').set('Idempotency-Key', key).send(body).expect(201);
    const retry = await api().post('/api/orders').set('Idempotency-Key', key).send(body).expect(201);

    expect(retry.text).toBe(first.text);
    expect(await given.stockOf(product.id)).toBe(3);
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it('answers a retry sent while the first is still running with the same order', async () => {
    const { product, body } = await orderOf(2);
    const key = randomUUID();

    const answers = await Promise.all([1, 2, 3].map(() => api().post('/api/orders').set('Idempotency-Key', key).send(body)));

    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(await given.stockOf(product.id)).toBe(3);
    expect(await ordersOf(body.customerId)).toBe(1);
  });

  it('refuses the key with another body (422 idempotency.key_reused) and takes nothing more', async () => {
    const { product, body } = await orderOf(2);
    const key = randomUUID();
    await api().post('/api/orders').set('Idempotency-Key', key).send(body).expect(201);

    const reused = await api()
      .post('/api/orders')
      .set('Idempotency-Key', key)
      .send({ ...body, lines: [{ productId: product.id, quantity: 1 }] })
      .expect(422);

    expect(reused.body).toMatchObject({ statusCode: 422, code: 'idempotency.key_reused' });
    expect(await given.stockOf(product.id)).toBe(3);
  });

  it('replays a refusal too: the same 409 for a retry of an order the stock could not cover', async () => {
    const { body } = await orderOf(6);
    const key = randomUUID();

    const first = await api().post('/api/orders').set('Idempotency-Key', key).send(body).expect(409);
    const retry = await api().post('/api/orders').set('Idempotency-Key', key).send(body).expect(409);

    expect(retry.body).toEqual(first.body);
  });

  it('takes a retry that spells an id in the other case for the same request, not another (422)', async () => {
    const { product, body } = await orderOf(2);
    const key = randomUUID();

    const first = await api().post('/api/orders').set('Idempotency-Key', key).send(body).expect(201);
    const upperCased = { customerId: body.customerId.toUpperCase(), lines: [{ productId: product.id.toUpperCase(), quantity: 2 }] };
    const retry = await api().post('/api/orders').set('Idempotency-Key', key).send(upperCased).expect(201);

    expect(retry.text).toBe(first.text);
    expect(await given.stockOf(product.id)).toBe(3);
    const cancelKey = randomUUID();
    const cancelled = await api().post(`/api/orders/${first.body.id.toUpperCase()}/cancel`).set('Idempotency-Key', cancelKey).expect(200);
    const cancelledAgain = await api().post(`/api/orders/${first.body.id}/cancel`).set('Idempotency-Key', cancelKey).expect(200);
    expect(cancelledAgain.text).toBe(cancelled.text);
    expect(await given.stockOf(product.id)).toBe(5);
  });

  it('answers a retried cancel with the first answer (200, not 409) and gives the stock back once', async () => {
    const { product, body } = await orderOf(2);
    const placed = (await api().post('/api/orders').send(body).expect(201)).body;
    const key = randomUUID();

    const first = await api().post(`/api/orders/${placed.id}/cancel`).set('Idempotency-Key', key).expect(200);
    const retry = await api().post(`/api/orders/${placed.id}/cancel`).set('Idempotency-Key', key).expect(200);

    expect(retry.text).toBe(first.text);
    expect(first.body.status).toBe('cancelled');
    expect(await given.stockOf(product.id)).toBe(5);
  });

  it('answers a retried customer or product with the first, not with a duplicate email or sku (409)', async () => {
    const customer = { email: `c-${randomUUID()}@example.com`, name: 'Ada' };
    const product = { sku: `SKU-${randomUUID()}`, name: 'Widget', priceCents: 100, stock: 1 };
    const [customerKey, productKey] = [randomUUID(), randomUUID()];

    const customers = [
      await api().post('/api/customers').set('Idempotency-Key', customerKey).send(customer).expect(201),
      await api().post('/api/customers').set('Idempotency-Key', customerKey).send(customer).expect(201),
    ];
    const products = [
      await api().post('/api/products').set('Idempotency-Key', productKey).send(product).expect(201),
      await api().post('/api/products').set('Idempotency-Key', productKey).send(product).expect(201),
    ];

    expect(customers[1].text).toBe(customers[0].text);
    expect(products[1].text).toBe(products[0].text);
  });

  it('still refuses a duplicate email sent under a new key (409)', async () => {
    const customer = { email: `c-${randomUUID()}@example.com`, name: 'Ada' };
    await api().post('/api/customers').set('Idempotency-Key', randomUUID()).send(customer).expect(201);

    await api().post('/api/customers').set('Idempotency-Key', randomUUID()).send(customer).expect(409);
  });

  it('refuses a malformed key with 400 naming the header, and does nothing', async () => {
    const { product, body } = await orderOf(1);

    const response = await api().post('/api/orders').set('Idempotency-Key', 'k'.repeat(256)).send(body).expect(400);

    expect(response.body).toMatchObject({ code: 'idempotency.invalid_key', details: { field: 'Idempotency-Key' } });
    expect(await given.stockOf(product.id)).toBe(5);
  });

  // Node joins the two into one value, "k1, k2": a key a retry could not be sure to repeat.
  it('refuses two Idempotency-Key headers with 400, and does nothing; one key holding a comma is a key', async () => {
    const { product, body } = await orderOf(1);
    const post = (key: string | string[]) =>
      new Promise<{ status: number; body: { code?: string; message?: string } }>((resolve, reject) => {
        const { hostname, port } = new URL(target.baseUrl);
        const sent = httpRequest(
          {
            host: hostname,
            port,
            method: 'POST',
            path: '/api/orders',
            headers: { 'content-type': 'application/json', 'idempotency-key': key },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        sent.on('error', reject);
        sent.end(JSON.stringify(body));
      });

    expect(await post([randomUUID(), randomUUID()])).toMatchObject({
      status: 400,
      body: { code: 'idempotency.invalid_key', message: 'Idempotency-Key must be sent once: send one key' },
    });
    expect(await given.stockOf(product.id)).toBe(5);
    expect((await post(`${randomUUID()}, with a comma`)).status).toBe(201);
    expect(await given.stockOf(product.id)).toBe(4);
  });
});
