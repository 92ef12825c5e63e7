export * from './lib/data-access-testing';
export * from './lib/test-database';
