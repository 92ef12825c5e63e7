import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Emails are unique without regard to case (index `customers_email_lower_key`, see migrations). */
@Entity({ schema: 'customers', name: 'customers' })
export class CustomerEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
