import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import { runMigrations } from './run-migrations';

export interface DatabaseModuleOptions {
  url: string;
  /** Migration classes, in order; the schema is only ever changed by them, never synchronised. */
  migrations: MixedList<new () => unknown>;
  /**
   * Run pending migrations before the connection opens (the monolith does, unless
   * MIGRATIONS_RUN=false), under the same advisory lock as `migrate`: replicas starting together
   * apply each migration once.
   */
  runMigrations: boolean;
  /** Pool size per process (`DATABASE_POOL_SIZE`, default 10). */
  poolSize?: number;
  /** PostgreSQL `statement_timeout` of every connection, in ms; 0: none (`DATABASE_STATEMENT_TIMEOUT_MS`, default 10 s). */
  statementTimeoutMs?: number;
  /**
   * The most a query waits for a connection, opening one or for a free one in the pool, before it
   * fails (`DATABASE_CONNECT_TIMEOUT_MS`, default 1.5 s): the pool's wait is bounded.
   */
  connectTimeoutMs?: number;
}

/** One TypeORM connection for the process; each data-access module registers its own entities. */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            if (options.runMigrations) await runMigrations(options.url, options.migrations);
            return {
              type: 'postgres' as const,
              url: options.url,
              autoLoadEntities: true,
              synchronize: false,
              migrations: options.migrations as MixedList<string | (new () => never)>,
              migrationsRun: false,
              migrationsTransactionMode: 'each' as const,
              // The schema is the migrations' business alone; PostgreSQL 13+ has gen_random_uuid() built in.
              installExtensions: false,
              extra: {
                max: options.poolSize ?? 10,
                connectionTimeoutMillis: options.connectTimeoutMs ?? 1500,
                statement_timeout: options.statementTimeoutMs ?? 10_000,
                // Only named statements (`PreparedStatement`) have cached plans, and theirs are
                // planned for any parameters: PostgreSQL's default planned them for each call anew.
                options: '-c plan_cache_mode=force_generic_plan',
              },
              retryAttempts: 2,
              retryDelay: 500,
            };
          },
        }),
      ],
    };
  }
}
