import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalog1764000000001 implements MigrationInterface {
  name = 'CreateCatalog1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA catalog`);
    await queryRunner.query(`
      CREATE TABLE catalog.products (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sku         text NOT NULL CONSTRAINT products_sku_key UNIQUE,
        name        text NOT NULL,
        price_cents integer NOT NULL CONSTRAINT products_price_not_negative CHECK (price_cents >= 0),
        -- The last line of defence against overselling: stock can never go below zero.
        stock       integer NOT NULL CONSTRAINT products_stock_not_negative CHECK (stock >= 0),
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE catalog.stock_reservations (
        id          uuid PRIMARY KEY,
        lines       jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA catalog CASCADE`);
  }
}
