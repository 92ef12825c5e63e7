export * from './lib/health.module';
export * from './lib/health.options';
export * from './lib/readiness';
