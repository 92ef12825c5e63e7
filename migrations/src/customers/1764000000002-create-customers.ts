import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCustomers1764000000002 implements MigrationInterface {
  name = 'CreateCustomers1764000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA customers`);
    await queryRunner.query(`
      CREATE TABLE customers.customers (
        id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email      text NOT NULL,
        name       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Ada@Example.com and ada@example.com are the same customer.
    await queryRunner.query(`CREATE UNIQUE INDEX customers_email_lower_key ON customers.customers (lower(email))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP SCHEMA customers CASCADE`);
  }
}
