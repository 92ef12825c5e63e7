import { Column, CreateDateColumn, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { OrderLineEntity } from './order-line.entity';
import type { OrderRecordStatus } from './order.record';

/** PostgreSQL `bigint` comes back as a string; totals stay far below 2^53, so a number is exact. */
const bigintAsNumber = { to: (value: number) => value, from: (value: string) => Number(value) };

@Entity({ schema: 'orders', name: 'orders' })
export class OrderEntity {
  /** Chosen by the business tier before the order exists: it is also the stock reservation's id. */
  @PrimaryColumn('uuid')
  id!: string;

  /** A customer of the customers module, by id only: no foreign key crosses module boundaries. */
  @Column({ name: 'customer_id', type: 'uuid' })
  customerId!: string;

  @Column({ type: 'text' })
  status!: OrderRecordStatus;

  @Column({ name: 'total_cents', type: 'bigint', transformer: bigintAsNumber })
  totalCents!: number;

  @OneToMany(() => OrderLineEntity, (line) => line.order, { cascade: ['insert'] })
  lines!: OrderLineEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
