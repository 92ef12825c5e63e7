import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1764000000003 implements MigrationInterface {
  name = 'CreateOrders1764000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA orders`);
    // customer_id and product_id reference other modules' data by id only, with no foreign key,
    // so that each module's schema can move to its own database.
    await queryRunner.query(`
      CREATE TABLE orders.orders (
        id          uuid PRIMARY KEY,
        customer_id uuid NOT NULL,
        status      text NOT NULL CONSTRAINT orders_status_known CHECK (status IN ('pending', 'confirmed', 'cancelled')),
        total_cents bigint NOT NULL CONSTRAINT orders_total_not_negative CHECK (total_cents >= 0),
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX orders_customer_created_idx ON orders.orders (customer_id, created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE orders.order_lines (
        order_id         uuid NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
        position         smallint NOT NULL,
        product_id       uuid NOT NULL,
        quantity         integer NOT NULL CONSTRAINT order_lines_quantity_positive CHECK (quantity > 0),
        unit_price_cents integer NOT NULL CONSTRAINT order_lines_price_not_negative CHECK (unit_price_cents >= 0),
        PRIMARY KEY (order_id, position)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA orders CASCADE`);
  }
}
