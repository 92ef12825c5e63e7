export * from './lib/application-error';
export * from './lib/page';
export * from './lib/port';
export * from './lib/text';
