const path = require('node:path');
const server = require('../apps/server/webpack.config.js');

/**
 * `npm run chaos`, bundled like the server (same loader, same externals) into dist/chaos. It runs
 * the built server (dist/apps/server), so the server is built first.
 * @type {import('webpack').Configuration}
 */
module.exports = {
  ...server,
  entry: { run: './chaos/run.ts' },
  output: { ...server.output, path: path.join(__dirname, '../dist/chaos') },
  cache: { type: 'filesystem', cacheDirectory: path.join(__dirname, '../node_modules/.cache/webpack/chaos') },
};
