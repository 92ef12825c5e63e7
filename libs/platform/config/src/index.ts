export * from './lib/environment';
export * from './lib/config.module';
export * from './lib/edge';
export * from './lib/port-in-use';
export * from './lib/settings';
export { ConfigurationError, describeFailure, ExplainedError, misspelledVariables, redactCredentials, Secret, toBoolean, toInteger } from './lib/variables';
