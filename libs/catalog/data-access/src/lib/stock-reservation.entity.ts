import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ReservedLineRecord } from './stock-reservation.record';

/** What a reservation took, so it can be replayed (idempotent reserve) and given back once. */
@Entity({ schema: 'catalog', name: 'stock_reservations' })
export class StockReservationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'jsonb' })
  lines!: ReservedLineRecord[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt!: Date | null;
}
