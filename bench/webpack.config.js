const path = require('node:path');
const server = require('../apps/server/webpack.config.js');

/**
 * The benchmark programs, bundled like the server (same loader, same externals) into dist/bench:
 * the runner, the plain NestJS baseline and the peer the per-hop measurement calls.
 * @type {import('webpack').Configuration}
 */
module.exports = {
  ...server,
  entry: {
    run: './bench/run.ts',
    baseline: './bench/baseline/main.ts',
    'echo-unit': './bench/hop/echo-unit.ts',
  },
  output: { ...server.output, path: path.join(__dirname, '../dist/bench') },
  cache: { type: 'filesystem', cacheDirectory: path.join(__dirname, '../node_modules/.cache/webpack/bench') },
};
