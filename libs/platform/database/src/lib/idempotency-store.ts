import { Logger, type OnModuleDestroy, type OnModuleInit, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import {
  IDEMPOTENCY_KEY_TTL_MS,
  IdempotencyKeyReusedError,
  IdempotencyStore,
  type BeginOutcome,
  type BeginRequest,
  type PortClass,
  type StoredAnswer,
} from '@strata/platform/ports';
import type { DataSource } from 'typeorm';

/** How often each replica deletes the keys older than their time to live. */
const PURGE_EVERY_MS = 10 * 60 * 1000;

interface KeyRow {
  fingerprint: string;
  resource_id: string;
  attempt_id: string | null;
  answer: StoredAnswer | null;
  lapsed: boolean;
}

/**
 * A module's idempotency keys in PostgreSQL, in `<schema>.idempotency_keys`, which the module's
 * migration creates (e.g. `migrations/src/orders/*-create-orders-idempotency-keys.ts`). Every
 * decision is one conditional statement on the key's row, so replicas and concurrent attempts
 * agree without locks held across calls: the primary key lets one attempt insert the key, a lease
 * lets another take it over once the holder is presumed dead, and the first answer written is final.
 */
export class TypeOrmIdempotencyStore extends IdempotencyStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TypeOrmIdempotencyStore.name);
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly table: string,
    private readonly ttlMs = IDEMPOTENCY_KEY_TTL_MS,
  ) {
    super();
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => void this.purgeExpired(), PURGE_EVERY_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  async begin({ key, fingerprint, attemptId, resourceId, leaseMs }: BeginRequest): Promise<BeginOutcome> {
    for (;;) {
      // A new key is inserted; a key past its time to live is forgotten, so its row is taken anew.
      const inserted: { resource_id: string }[] = await this.dataSource.query(
        `INSERT INTO ${this.table} AS held (key, fingerprint, resource_id, attempt_id, lease_until)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, resource_id = EXCLUDED.resource_id,
           attempt_id = EXCLUDED.attempt_id, lease_until = EXCLUDED.lease_until, answer = NULL, created_at = now()
         WHERE held.created_at < now() - make_interval(secs => $6)
         RETURNING resource_id`,
        [key, fingerprint, resourceId, attemptId, leaseMs / 1000, this.ttlMs / 1000],
      );
      if (inserted.length > 0) return { state: 'run', resourceId: inserted[0].resource_id, resumed: false };

      const [row]: KeyRow[] = await this.dataSource.query(
        `SELECT fingerprint, resource_id, attempt_id, answer, lease_until < now() AS lapsed FROM ${this.table} WHERE key = $1`,
        [key],
      );
      if (!row) continue; // deleted since (its holder started over): try to insert it again
      if (row.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
      if (row.answer !== null) return { state: 'done', answer: row.answer };
      if (row.attempt_id === attemptId) return { state: 'run', resourceId: row.resource_id, resumed: false };
      if (!row.lapsed) return { state: 'in_flight' };

      // The holder's lease ran out: it died, or hangs. Take the key over, with its resource id.
      // (TypeORM answers an UPDATE with its rows and their count.)
      const [taken]: [{ resource_id: string }[], number] = await this.dataSource.query(
        `UPDATE ${this.table} SET attempt_id = $2, lease_until = now() + make_interval(secs => $3)
         WHERE key = $1 AND answer IS NULL AND lease_until < now() RETURNING resource_id`,
        [key, attemptId, leaseMs / 1000],
      );
      if (taken.length > 0) return { state: 'run', resourceId: taken[0].resource_id, resumed: true };
    }
  }

  async finish({ key, answer }: { key: string; answer: StoredAnswer }): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${this.table} SET answer = $2, attempt_id = NULL, lease_until = NULL WHERE key = $1 AND answer IS NULL`,
      [key, JSON.stringify(answer)],
    );
  }

  async release({ key, attemptId, startOver }: { key: string; attemptId: string; startOver: boolean }): Promise<void> {
    const hold = `key = $1 AND attempt_id = $2 AND answer IS NULL`;
    await this.dataSource.query(
      startOver ? `DELETE FROM ${this.table} WHERE ${hold}` : `UPDATE ${this.table} SET lease_until = now() WHERE ${hold}`,
      [key, attemptId],
    );
  }

  /** Deletes the keys older than their time to live; answers how many. */
  async purgeExpired(): Promise<number> {
    try {
      const [, deleted]: [unknown, number] = await this.dataSource.query(
        `DELETE FROM ${this.table} WHERE created_at < now() - make_interval(secs => $1)`,
        [this.ttlMs / 1000],
      );
      return deleted;
    } catch (error) {
      this.logger.warn({ msg: 'could not purge expired idempotency keys; will try again', table: this.table, err: error });
      return 0;
    }
  }
}

/** Binds a module's idempotency port (see `IdempotencyPort`) to its table in `schema`. */
export function provideIdempotencyStore(port: PortClass<IdempotencyStore>, schema: string): Provider {
  return {
    provide: port,
    useFactory: (dataSource: DataSource) => new TypeOrmIdempotencyStore(dataSource, `${schema}.idempotency_keys`),
    inject: [getDataSourceToken()],
  };
}
