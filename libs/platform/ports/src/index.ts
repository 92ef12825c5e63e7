export * from './lib/application-error';
