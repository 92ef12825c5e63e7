import { randomUUID } from 'node:crypto';
import request from 'supertest';

/** Creates what a test needs through the public API only, as a client would. */
export function fixtures(baseUrl: string) {
  const api = () => request(baseUrl);
  return {
    async customer(): Promise<{ id: string; email: string; name: string }> {
      const response = await api()
        .post('/api/customers')
        .send({ email: `c-${randomUUID()}@example.com`, name: 'Ada' })
        .expect(201);
      return response.body;
    },
    async product(stock: number, priceCents = 500): Promise<{ id: string; sku: string; stock: number; priceCents: number }> {
      const response = await api()
        .post('/api/products')
        .send({ sku: `SKU-${randomUUID()}`, name: 'Widget', priceCents, stock })
        .expect(201);
      return response.body;
    },
    async stockOf(productId: string): Promise<number> {
      return (await api().get(`/api/products/${productId}`).expect(200)).body.stock;
    },
  };
}
