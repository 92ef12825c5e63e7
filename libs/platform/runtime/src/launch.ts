// A separate entry point: the launcher needs `concurrently`, a development dependency that a
// unit's bundle (and so its production image) must not require.
export * from './lib/launch/launch-topology';
