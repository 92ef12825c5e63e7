import Fastify from 'fastify';
import { Pool } from 'pg';

/*
 * The floor: what `GET /api/products/:id` and a trivial route cost with no framework at all, as a
 * careful user would hand-write them: Fastify with JSON schemas (Ajv validates the id, the
 * response is serialised by fast-json-stringify), `pg`'s pool with a named (prepared) statement, no
 * logging. Nothing of Nest or Strata; the same pool size as the units' default (10).
 * DATABASE_URL and PORT come from the runner.
 */

const pool = new Pool({ connectionString: process.env['DATABASE_URL'], max: 10 });
const app = Fastify({ logger: false });

const product = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    sku: { type: 'string' },
    name: { type: 'string' },
    priceCents: { type: 'integer' },
    stock: { type: 'integer' },
  },
} as const;

const notFound = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  price_cents: number;
  stock: number;
}

app.get(
  '/api/products/:id',
  {
    schema: {
      // Ajv's `uuid` format (Fastify adds ajv-formats): anything else is a 400 before any query.
      params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
      response: { 200: product, 404: notFound },
    },
  },
  async (request, reply) => {
    const { id } = request.params as { id: string };
    const { rows } = await pool.query<ProductRow>({
      name: 'product-by-id',
      text: 'SELECT id, sku, name, price_cents, stock FROM catalog.products WHERE id = $1',
      values: [id],
    });
    const row = rows[0];
    if (!row) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `Product ${id} was not found` });
    return { id: row.id, sku: row.sku, name: row.name, priceCents: row.price_cents, stock: row.stock };
  },
);

app.get('/health/live', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({
  status: 'ok',
}));

async function main(): Promise<void> {
  await app.listen({ port: Number(process.env['PORT'] ?? 3901), host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
