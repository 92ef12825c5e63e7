export * from './careful-client';
export * from './chaos-clients';
export * from './chaos-deployment';
export * from './chaos-run';
export * from './fault-proxy';
export * from './fault-scheduler';
export * from './invariants';
export * from './random';
