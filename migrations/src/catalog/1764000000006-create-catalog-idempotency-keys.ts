import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalogIdempotencyKeys1764000000006 implements MigrationInterface {
  name = 'CreateCatalogIdempotencyKeys1764000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The Idempotency-Keys of the catalog module's writes, kept by the platform's TypeOrmIdempotencyStore (ADR 0015).
    await queryRunner.query(`
      CREATE TABLE catalog.idempotency_keys (
        key         text PRIMARY KEY,
        fingerprint text NOT NULL,
        resource_id uuid NOT NULL,
        attempt_id  uuid,
        lease_until timestamptz,
        answer      json, -- not jsonb: a replay keeps the first answer's bytes, keys in their order
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_created_at_idx ON catalog.idempotency_keys (created_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE catalog.idempotency_keys`);
  }
}
