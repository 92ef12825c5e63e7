import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCustomersIdempotencyKeys1764000000007 implements MigrationInterface {
  name = 'CreateCustomersIdempotencyKeys1764000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The Idempotency-Keys of the customers module's writes, kept by the platform's TypeOrmIdempotencyStore (ADR 0015).
    await queryRunner.query(`
      CREATE TABLE customers.idempotency_keys (
        key         text PRIMARY KEY,
        fingerprint text NOT NULL,
        resource_id uuid NOT NULL,
        attempt_id  uuid,
        lease_until timestamptz,
        answer      json, -- not jsonb: a replay keeps the first answer's bytes, keys in their order
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_created_at_idx ON customers.idempotency_keys (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE customers.idempotency_keys`);
  }
}
