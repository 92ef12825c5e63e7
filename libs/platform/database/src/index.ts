export * from './lib/database.module';
export * from './lib/embedded-postgres';
export * from './lib/ensure-database';
export * from './lib/postgres-errors';
export * from './lib/provide-database';
export * from './lib/run-migrations';
export * from './lib/idempotency-store';
export * from './lib/prepared-statement';
