import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The columns of `catalog.products` the module reads and writes. Its `created_at` is the
 * database's own (a default) and nothing here shows it: mapped, every product read would select it
 * and parse it into a `Date` for nothing.
 */
@Entity({ schema: 'catalog', name: 'products' })
export class ProductEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  sku!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'price_cents', type: 'integer' })
  priceCents!: number;

  @Column({ type: 'integer' })
  stock!: number;
}
