export * from './lib/data-access-testing';
export * from './lib/eventually';
export * from './lib/test-database';
