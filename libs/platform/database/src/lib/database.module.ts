import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';

export interface DatabaseModuleOptions {
  url: string;
  /** Migration classes, in order; the schema is only ever changed by them, never synchronised. */
  migrations: MixedList<new () => unknown>;
  /** Run pending migrations when the connection opens (the monolith does, unless MIGRATIONS_RUN=false). */
  runMigrations: boolean;
  /** Pool size per process. */
  poolSize?: number;
}

/** One TypeORM connection for the process; each data-access module registers its own entities. */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: options.url,
          autoLoadEntities: true,
          synchronize: false,
          migrations: options.migrations as MixedList<string | (new () => never)>,
          migrationsRun: options.runMigrations,
          migrationsTransactionMode: 'each',
          // The schema is the migrations' business alone; PostgreSQL 13+ has gen_random_uuid() built in.
          installExtensions: false,
          extra: { max: options.poolSize ?? 10 },
          retryAttempts: 2,
          retryDelay: 500,
        }),
      ],
    };
  }
}
