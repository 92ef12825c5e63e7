import { randomUUID } from 'node:crypto';
import { BODY_NOT_AN_OBJECT, BODY_TOO_DEEP, MAX_BODY_DEPTH } from '@strata/platform/http';
import request from 'supertest';
import { startApi, type ApiTarget } from './support/api-target';

describe('/api/products', () => {
  let target: ApiTarget;
  const api = () => request(target.baseUrl);

  beforeAll(async () => {
    target = await startApi();
  });
  afterAll(() => target.stop());

  const valid = () => ({ sku: `SKU-${randomUUID()}`, name: 'Mechanical keyboard', priceCents: 8999, stock: 25 });

  it('creates a product: 201 {id, sku, name, priceCents, stock}', async () => {
    const product = valid();

    const response = await api().post('/api/products').send(product).expect(201);

    expect(response.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), ...product });
  });

  it('reads a product back: 200; unknown: 404; malformed id: 400', async () => {
    const created = (await api().post('/api/products').send(valid()).expect(201)).body;

    await api().get(`/api/products/${created.id}`).expect(200, created);
    expect((await api().get(`/api/products/${randomUUID()}`).expect(404)).body.code).toBe('catalog.product_not_found');
    expect((await api().get('/api/products/123').expect(400)).body.message).toEqual(['id must be a UUID']);
  });

  it('refuses a duplicate sku: 409', async () => {
    const product = valid();
    await api().post('/api/products').send(product).expect(201);

    const response = await api()
      .post('/api/products')
      .send({ ...product, name: 'Another' })
      .expect(409);

    expect(response.body).toMatchObject({ statusCode: 409, code: 'catalog.duplicate_sku', details: { sku: product.sku } });
  });

  it('lists products a page at a time, in sku order', async () => {
    for (let i = 0; i < 3; i++) await api().post('/api/products').send(valid()).expect(201);

    const all = (await api().get('/api/products').expect(200)).body;
    const page = (await api().get('/api/products?limit=2&offset=1').expect(200)).body;

    expect(all).toMatchObject({ limit: 20, offset: 0, total: expect.any(Number) });
    expect(page).toMatchObject({ limit: 2, offset: 1, total: all.total });
    expect(page.items).toEqual(all.items.slice(1, 3));
  });

  it.each([
    ['limit=0', 'limit must not be less than 1'],
    ['limit=101', 'limit must not be greater than 100'],
    ['limit=abc', 'limit must be an integer number'],
    ['limit=', 'limit must be an integer number'],
    ['limit=5&limit=6', 'limit must be given once'],
    ['offset=-1', 'offset must not be less than 0'],
    ['offset=100000000000000000000', 'offset must not be greater than 9007199254740991'],
    ['offset=1.5', 'offset must be an integer number'],
    ['page=2', 'property page should not exist'],
    // Names every object has: class-transformer dropped them, and they passed unnoticed.
    ['toString=1', 'property toString should not exist'],
    ['__proto__=1', 'property __proto__ should not exist'],
    ['constructor=1', 'property constructor should not exist'],
  ])('answers 400 naming the parameter for ?%s, with the one message that applies', async (query, message) => {
    const response = await api().get(`/api/products?${query}`).expect(400);

    expect(response.body.message).toEqual([message]);
  });

  it.each([
    ['a negative price', { priceCents: -1 }, 'priceCents'],
    ['a fractional price', { priceCents: 9.99 }, 'priceCents'],
    ['a price sent as a string', { priceCents: '899' }, 'priceCents'],
    ['a negative stock', { stock: -5 }, 'stock'],
    ['a stock beyond the database integer', { stock: 2 ** 31 }, 'stock'],
    ['an empty sku', { sku: '' }, 'sku'],
    ['a sku with spaces', { sku: 'A B' }, 'sku'],
    ['a name of spaces', { name: '   ' }, 'name must not be empty or blank'],
    ['a name with a NUL byte', { name: 'Key\u0000board' }, 'name must not contain NUL'],
    ['a name with half a surrogate pair', { name: 'Key\udc00board' }, 'name must be valid Unicode'],
    ['a sku with a NUL byte', { sku: `SKU-\u0000-${randomUUID()}` }, 'sku'],
    ['an unknown property', { color: 'red' }, 'property color should not exist'],
    ['a property named as every object’s toString', { toString: 'red' }, 'property toString should not exist'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_, change, field) => {
    const countBefore = (await api().get('/api/products').expect(200)).body.total;

    const response = await api()
      .post('/api/products')
      .send({ ...valid(), ...change })
      .expect(400);

    expect(response.body.message.join('\n')).toContain(field);
    expect((await api().get('/api/products').expect(200)).body.total).toBe(countBefore);
  });

  it.each([
    [{ priceCents: '899' }, 'priceCents must be an integer number'],
    [{ stock: null }, 'stock must be an integer number'],
    [{ priceCents: -1 }, 'priceCents must not be less than 0'],
    [{ stock: 2 ** 31 }, 'stock must not be greater than 2147483647'],
  ])('answers %j with the one message that applies, not also one about its range', async (change, message) => {
    const response = await api()
      .post('/api/products')
      .send({ ...valid(), ...change })
      .expect(400);

    expect(response.body.message).toEqual([message]);
  });

  it('stores names and skus trimmed', async () => {
    const product = valid();

    const response = await api()
      .post('/api/products')
      .send({ ...product, sku: ` ${product.sku} `, name: '  Mechanical keyboard\t' })
      .expect(201);

    expect(response.body).toMatchObject({ sku: product.sku, name: 'Mechanical keyboard' });
  });

  it.each([
    ['a missing field, naming it', { sku: 'X-1', name: 'x', priceCents: 1 }, 'stock'],
    ['a null body, saying the body must be an object', null, BODY_NOT_AN_OBJECT],
    ['an array body, saying the body must be an object', [], BODY_NOT_AN_OBJECT],
  ])('answers 400 for %s', async (_, body, expected) => {
    const response = await api().post('/api/products').set('content-type', 'application/json').send(JSON.stringify(body)).expect(400);

    expect(JSON.stringify(response.body.message)).toContain(expected);
  });

  /** A valid product whose `name` is an array nested `levels` deep. */
  const nestedBody = (levels: number) => {
    let name = '"x"';
    for (let level = 0; level < levels; level++) name = `[${name}]`;
    return `{"sku":"N-${randomUUID()}","name":${name},"priceCents":1,"stock":1}`;
  };

  it.each([
    ['one level deeper than allowed', MAX_BODY_DEPTH],
    ['50,000 levels deep, as a 100 KB body can be (validation, which recurses, ran out of stack: a 500)', 49_000],
  ])('answers a body nesting %s with 400 naming the limit, and stores nothing', async (_, levels) => {
    const before = (await api().get('/api/products').expect(200)).body.total;

    const response = await api().post('/api/products').set('content-type', 'application/json').send(nestedBody(levels)).expect(400);

    expect(response.body.message).toEqual([BODY_TOO_DEEP]);
    expect((await api().get('/api/products').expect(200)).body.total).toBe(before);
  });

  it(`accepts a body nesting ${MAX_BODY_DEPTH} deep, and validates it as usual`, async () => {
    const response = await api()
      .post('/api/products')
      .set('content-type', 'application/json')
      .send(nestedBody(MAX_BODY_DEPTH - 1))
      .expect(400);

    expect(response.body.message).toEqual(['name must be a string']);
  });
});
