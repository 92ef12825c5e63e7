export * from './lib/environment';
export * from './lib/config.module';
