const path = require('node:path');
const server = require('../apps/server/webpack.config.js');

/**
 * The benchmark programs, bundled like the server (same loader, same externals) into dist/bench:
 * the runner, the floor (Fastify and pg), the bare NestJS baseline, the peer the per-hop
 * measurement calls, the queue benchmark (one process per queue backend), and the module the instructions part
 * preloads into one of its targets.
 * @type {import('webpack').Configuration}
 */
module.exports = {
  ...server,
  entry: {
    run: './bench/run.ts',
    floor: './bench/floor/main.ts',
    baseline: './bench/baseline/main.ts',
    'echo-unit': './bench/hop/echo-unit.ts',
    'tcp-echo': './bench/hop/tcp-echo.ts',
    queue: './bench/queue/main.ts',
    'without-request-context': './bench/instructions/without-request-context.ts',
  },
  output: { ...server.output, path: path.join(__dirname, '../dist/bench') },
  cache: { type: 'filesystem', cacheDirectory: path.join(__dirname, '../node_modules/.cache/webpack/bench') },
};
