import { MIN_SECRET_LENGTH } from '@strata/platform/config';
import { readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import * as ts from 'typescript';

/*
 * What the workspace says about the program the artefacts deploy: the variables it reads, the
 * split topology's units, the files its webpack build writes, its production dependencies. The
 * artefacts are checked against these, never against copies of them.
 */

export const workspaceRoot = join(__dirname, '../../..');
export const readWorkspaceFile = (path: string) => readFileSync(join(workspaceRoot, path), 'utf8');

const environmentFile = 'libs/platform/config/src/lib/environment.ts';

/** The variables the app reads: the properties of `EnvironmentVariables`, read with TypeScript's parser. */
export const declaredVariables: string[] = (() => {
  const source = ts.createSourceFile(environmentFile, readWorkspaceFile(environmentFile), ts.ScriptTarget.Latest);
  const schema = source.statements.find(
    (statement): statement is ts.ClassDeclaration => ts.isClassDeclaration(statement) && statement.name?.text === 'EnvironmentVariables',
  );
  if (!schema) throw new Error(`${environmentFile} declares no class EnvironmentVariables`);
  return schema.members.filter(ts.isPropertyDeclaration).map((property) => property.name.getText(source));
})();

export interface UnitDeclaration {
  hosts?: string[];
  workers?: string[];
  httpPort: number;
  internalPort?: number;
}

/** The units the compose file and the Kubernetes manifests deploy. */
export const splitUnits: Record<string, UnitDeclaration> = JSON.parse(readWorkspaceFile('topologies/split.json')).units;

/** The variable that tells a unit where `unit` listens for internal calls. */
export const peerVariable = (unit: string) => `PEER_${unit.toUpperCase().replace(/-/g, '_')}`;

/** Whether the app reads `name`: a property of EnvironmentVariables, or the address of a split unit. */
export const isReadByTheApp = (name: string) =>
  declaredVariables.includes(name) || Object.keys(splitUnits).some((unit) => peerVariable(unit) === name);

/** Variables holding credentials: only ever from a secret store, never a value in a committed file. */
export const secretVariables = ['DATABASE_URL', 'REDIS_URL', 'INTERNAL_AUTH_SECRET'];

/** Stand-ins for the secrets, which no artefact contains, realistic enough for the app's validation. */
export const secretStandIns: Record<string, string> = {
  DATABASE_URL: 'postgres://strata:secret@postgres:5432/strata',
  REDIS_URL: 'redis://redis:6379',
  INTERNAL_AUTH_SECRET: 's'.repeat(MIN_SECRET_LENGTH),
};

/** Whether a unit hosts data access (needs DATABASE_URL): `*`, `<module>/*` or `<module>/data-access`. */
export const hostsDataAccess = (unit: UnitDeclaration) =>
  (unit.hosts ?? []).some((entry) => entry === '*' || /\/(\*|data-access)$/.test(entry));

const webpackConfigPath = 'apps/server/webpack.config.js';
// The config is CommonJS: loaded as webpack loads it.
const webpackConfig = require(join(workspaceRoot, webpackConfigPath));

/** The bundle's directory relative to the workspace root, e.g. dist/apps/server. */
const outputDir = relative(workspaceRoot, webpackConfig.output.path).split('\\').join('/');

export const webpackBuild = {
  configPath: webpackConfigPath,
  outputDir,
  /** The file webpack writes for each entry, e.g. main → dist/apps/server/main.js. */
  outputs: Object.fromEntries(
    Object.keys(webpackConfig.entry).map((name) => [
      name,
      posix.join(outputDir, String(webpackConfig.output.filename).replace('[name]', name)),
    ]),
  ) as Record<string, string>,
};

/** What `npm ci --omit=dev --omit=optional` installs at the top level. */
export const productionDependencies = Object.keys(JSON.parse(readWorkspaceFile('package.json')).dependencies ?? {});
