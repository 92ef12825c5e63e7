export * from './lib/application-error.filter';
export * from './lib/configure-http-app';
export * from './lib/http-platform.module';
export * from './lib/logger';
export * from './lib/parse-id.pipe';
export * from './lib/request-id';
