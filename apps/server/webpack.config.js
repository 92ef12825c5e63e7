const path = require('node:path');
const nodeExternals = require('webpack-node-externals');
const { TsconfigPathsPlugin } = require('tsconfig-paths-webpack-plugin');

const workspaceRoot = path.resolve(__dirname, '../..');

/**
 * Bundles the server's own code (the app and every lib it imports) into dist/apps/server;
 * npm packages stay external and are loaded from node_modules at run time. ts-loader compiles
 * without type-checking (the `typecheck` target does that) and keeps the decorator metadata that
 * NestJS's dependency injection reads, which esbuild would drop.
 * @type {import('webpack').Configuration}
 */
module.exports = {
  mode: 'production',
  target: 'node20',
  context: workspaceRoot,
  entry: {
    // Any unit of any topology (TOPOLOGY, UNIT).
    main: './apps/server/src/main.ts',
    // Every unit of a topology on this machine (npm run start:split).
    launch: './apps/server/src/launch.ts',
    // The edge in front of a topology's API units: one public address, each route to its unit.
    edge: './apps/server/src/edge.ts',
    // Pending migrations, then exit (npm run migrate).
    migrate: './apps/server/src/migrate.ts',
  },
  output: { path: path.join(workspaceRoot, 'dist/apps/server'), filename: '[name].js', clean: true },
  resolve: {
    extensions: ['.ts', '.js'],
    plugins: [new TsconfigPathsPlugin({ configFile: path.join(workspaceRoot, 'tsconfig.base.json') })],
  },
  externalsPresets: { node: true },
  externals: [nodeExternals({ modulesDir: path.join(workspaceRoot, 'node_modules') })],
  module: {
    rules: [
      {
        test: /\.ts$/,
        loader: 'ts-loader',
        options: { transpileOnly: true, configFile: path.join(__dirname, 'tsconfig.json') },
      },
    ],
  },
  optimization: { minimize: false },
  devtool: 'source-map',
  // Rebuilds after a small change take about a second instead of four.
  cache: { type: 'filesystem', cacheDirectory: path.join(workspaceRoot, 'node_modules/.cache/webpack/server') },
  stats: 'errors-warnings',
};
