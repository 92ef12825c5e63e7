export * from './lib/backing-services';
export * from './lib/chaos';
export * from './lib/data-access-testing';
export * from './lib/eventually';
export * from './lib/free-port';
export * from './lib/require-redis';
export * from './lib/test-database';
export * from './lib/topology-processes';
