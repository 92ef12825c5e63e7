export * from './lib/application-error';
export * from './lib/call-context';
export * from './lib/idempotency';
export * from './lib/integer';
export * from './lib/page';
export * from './lib/port';
export * from './lib/text';
export * from './lib/dependency-unavailable';
