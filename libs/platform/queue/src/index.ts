export * from './lib/job-definition';
export * from './lib/job-producer';
export * from './lib/jobs-worker';
export * from './lib/queue-connection';
export * from './lib/queue.health';
export * from './lib/queue.module';
export * from './lib/outbox';
