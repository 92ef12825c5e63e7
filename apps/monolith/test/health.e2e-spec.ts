import request from 'supertest';
import { Client } from 'pg';
import { startMonolith, type ApiTarget } from './support/api-target';

describe('GET /health when a dependency is down', () => {
  let target: ApiTarget | undefined;
  afterEach(() => target?.stop());

  it('answers 503 when PostgreSQL goes away (database and queue both live there), and never hangs', async () => {
    target = await startMonolith();
    await request(target.baseUrl).get('/health').expect(200);

    // Cut the application off its database: drop it, ending every connection to it.
    const admin = new Client({ connectionString: process.env.STRATA_TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE "${target.databaseName}" WITH (FORCE)`);
    await admin.end();

    const response = await request(target.baseUrl).get('/health').timeout(5000).expect(503);
    expect(response.body.error).toMatchObject({ database: { status: 'down' }, queue: { status: 'down' } });
  });
});
