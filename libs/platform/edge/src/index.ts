export * from './lib/create-edge';
export * from './lib/openapi';
export * from './lib/run-edge';
