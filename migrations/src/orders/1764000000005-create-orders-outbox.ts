import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrdersOutbox1764000000005 implements MigrationInterface {
  name = 'CreateOrdersOutbox1764000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Jobs written in the transaction of the change that implies them, moved to the queue by the
    // platform's OutboxRelay (ADR 0014). Rows live until relayed, seconds at most.
    await queryRunner.query(`
      CREATE TABLE orders.outbox (
        id         bigserial PRIMARY KEY,
        queue      text NOT NULL,
        name       text NOT NULL,
        job_id     text NOT NULL,
        data       jsonb NOT NULL,
        attempts   integer,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE orders.outbox`);
  }
}
