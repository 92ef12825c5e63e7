import { MIN_SECRET_LENGTH } from '@strata/platform/config';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import * as ts from 'typescript';

/*
 * What the workspace says about the program the artefacts deploy: the variables it reads, the
 * split topology's units, the files its webpack build writes, its production dependencies. The
 * artefacts are checked against these, never against copies of them.
 */

export const workspaceRoot = join(__dirname, '../../..');
export const readWorkspaceFile = (path: string) => readFileSync(join(workspaceRoot, path), 'utf8');

/** The workspace's TypeScript sources, tests left out, parsed with TypeScript's parser. */
const sources: ts.SourceFile[] = ['apps', 'libs'].flatMap((root) =>
  readdirSync(join(workspaceRoot, root), { recursive: true, encoding: 'utf8' })
    .map((file) => posix.join(root, file.split('\\').join('/')))
    .filter((file) => file.endsWith('.ts') && !/[.-]spec\.ts$/.test(file) && !file.includes('node_modules/'))
    .map((file) => ts.createSourceFile(file, readWorkspaceFile(file), ts.ScriptTarget.Latest, true)),
);

/** Calls that read environment variables: the platform's, and each module's own settings. */
const readers = ['readVariables', 'loadSettings'];

const descendants = (node: ts.Node): ts.Node[] => node.getChildren().flatMap((child) => [child, ...descendants(child)]);

/** Whether `name` is a parameter of a function around `node` (`loadSettings` passing its argument on). */
const isParameterAround = (node: ts.Node, name: string): boolean =>
  !!node.parent &&
  ((ts.isFunctionLike(node.parent) && node.parent.parameters.some((parameter) => parameter.name.getText() === name)) ||
    isParameterAround(node.parent, name));

/**
 * The variables the app reads: the properties of every class passed to `readVariables` (the
 * platform's `EnvironmentVariables`) or `loadSettings` (a module's settings, e.g. `OrdersSettings`),
 * found in the code with TypeScript's parser, so a module's new settings class is checked too.
 */
export const declaredVariables: string[] = (() => {
  const classes = new Map(
    sources.flatMap((source) =>
      descendants(source)
        .filter(ts.isClassDeclaration)
        .map((declaration) => [declaration.name?.text, declaration] as const),
    ),
  );
  const variables = sources.flatMap((source) =>
    descendants(source)
      .filter(ts.isCallExpression)
      .filter((call) => ts.isIdentifier(call.expression) && readers.includes(call.expression.text) && call.arguments.length > 0)
      .filter((call) => !isParameterAround(call, call.arguments[0].getText()))
      .flatMap((call) => {
        const name = call.arguments[0].getText();
        const settings = classes.get(name);
        if (!settings) throw new Error(`${source.fileName} reads variables with ${name}, which is no class of the workspace`);
        return settings.members.filter(ts.isPropertyDeclaration).map((property) => property.name.getText());
      }),
  );
  if (variables.length === 0) throw new Error(`found no class passed to ${readers.join(' or ')}`);
  return [...new Set(variables)];
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

/** The variable that tells the edge where `unit` serves HTTP (`UPSTREAM_<UNIT>=http://host:port`). */
export const upstreamVariable = (unit: string) => `UPSTREAM_${unit.toUpperCase().replace(/-/g, '_')}`;

/**
 * Whether the app reads `name`: a declared variable (see `declaredVariables`), or the address of a
 * split unit (a peer's internal address for units, an API unit's HTTP address for the edge).
 */
export const isReadByTheApp = (name: string) =>
  declaredVariables.includes(name) ||
  Object.keys(splitUnits).some((unit) => peerVariable(unit) === name || upstreamVariable(unit) === name);

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

/** Whether a unit hosts a presentation tier (serves part of the public API): `*`, `<module>/*` or `<module>/presentation`. */
export const hostsPresentation = (unit: UnitDeclaration) =>
  (unit.hosts ?? []).some((entry) => entry === '*' || /\/(\*|presentation)$/.test(entry));

/** The split topology's units serving the public API, in topology order. */
export const apiUnits = Object.keys(splitUnits).filter((unit) => hostsPresentation(splitUnits[unit]));

/**
 * Where the public address leads for what is not a route of one unit (`/docs`, `/docs-json`,
 * `/health`): the one API unit, or, with several, the edge (ADR 0012), deployed as `edge`.
 */
export const EDGE = 'edge';
export const publicEntry = apiUnits.length > 1 ? EDGE : apiUnits[0];

const webpackConfigPath = 'apps/server/webpack.config.js';
// The config is CommonJS: loaded as webpack loads it.
const webpackConfig = require(join(workspaceRoot, webpackConfigPath));

/** The bundle's directory relative to the workspace root, e.g. dist/apps/server. */
const outputDir = relative(workspaceRoot, webpackConfig.output.path).split('\\').join('/');

export const webpackBuild = {
  configPath: webpackConfigPath,
  outputDir,
  /** The oldest Node release line the bundles are compiled for (webpack's `target: 'node20'`). */
  targetNodeLine: Number(/^node(\d+)/.exec(String(webpackConfig.target))?.[1]),
  /** The file webpack writes for each entry, e.g. main → dist/apps/server/main.js. */
  outputs: Object.fromEntries(
    Object.keys(webpackConfig.entry).map((name) => [
      name,
      posix.join(outputDir, String(webpackConfig.output.filename).replace('[name]', name)),
    ]),
  ) as Record<string, string>,
};

const packageJson = JSON.parse(readWorkspaceFile('package.json'));

/** The oldest Node release line package.json's `engines` allows (`>=20.19` → 20). */
export const oldestSupportedNodeLine = Number(/^>=\s*(\d+)/.exec(packageJson.engines.node)?.[1]);

/** What `npm ci --omit=dev --omit=optional` installs at the top level. */
export const productionDependencies = Object.keys(packageJson.dependencies ?? {});
