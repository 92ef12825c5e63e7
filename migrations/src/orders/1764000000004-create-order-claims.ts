import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrderClaims1764000000004 implements MigrationInterface {
  name = 'CreateOrderClaims1764000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Who decided an order id's fate first: the placement recording the order, or the settle job
    // giving its stock back. One row per id, so the two cannot both win (ADR 0010).
    await queryRunner.query(`
      CREATE TABLE orders.order_claims (
        order_id   uuid PRIMARY KEY,
        claimed_by text NOT NULL CONSTRAINT order_claims_claimant_known CHECK (claimed_by IN ('placement', 'settle')),
        claimed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`INSERT INTO orders.order_claims (order_id, claimed_by) SELECT id, 'placement' FROM orders.orders`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE orders.order_claims`);
  }
}
