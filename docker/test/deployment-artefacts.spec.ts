import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { parse } from 'yaml';

/**
 * Checks docker/Dockerfile and docker/compose.yaml against the workspace they deploy: the webpack
 * config that produces the bundle, the environment variables the app reads, the port it listens
 * on. No Docker engine is needed: the build stage's COPY instructions are replayed into a
 * temporary build context and its build command is run there, so a missing source, a renamed
 * entry or a wrong path fails here instead of in `docker build`.
 */

const workspaceRoot = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(workspaceRoot, path), 'utf8');

// ---- a small Dockerfile parser ----------------------------------------------------------------

interface Instruction {
  keyword: string;
  /** `--from=build`, `--chown=node` … as a map. */
  flags: Record<string, string>;
  /** Exec form (`["node", "main.js"]`) parsed from JSON, shell form split on whitespace. */
  args: string[];
  /** The arguments as written, after the flags. */
  raw: string;
  /** The stage's WORKDIR when the instruction runs (Docker's default is /). */
  workdir: string;
}

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  let workdir = '/';
  for (const line of lines) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const [image, as, name] = rest.split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : String(stages.length), image, instructions: [] });
      workdir = '/';
      continue;
    }
    const flags: Record<string, string> = {};
    let raw = rest;
    for (let flag = /^--([\w-]+)(?:=(\S*))?\s*/.exec(raw); flag; flag = /^--([\w-]+)(?:=(\S*))?\s*/.exec(raw)) {
      flags[flag[1]] = flag[2] ?? 'true';
      raw = raw.slice(flag[0].length);
    }
    const args = raw.startsWith('[') ? (JSON.parse(raw) as string[]) : raw.split(/\s+/);
    if (keyword.toUpperCase() === 'WORKDIR') workdir = posix.resolve(workdir, args[0]);
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), flags, args, raw, workdir });
  }
  return stages;
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);

/** Docker's .dockerignore matching, enough for plain names and `*` / `**` patterns. */
function dockerignored(patterns: string[], path: string): boolean {
  const segment = (glob: string) =>
    glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  return patterns.some((pattern) => {
    const source = pattern
      .replace(/^\/|\/$/g, '')
      .split('**')
      .map(segment)
      .join('.*');
    return new RegExp(`^${source}(/.*)?$`).test(path);
  });
}

// ---- what the workspace says ----------------------------------------------------------------

const environmentSource = read('libs/platform/config/src/lib/environment.ts');
/** The variables the app reads: the properties of its validated schema. */
const declaredVariables = [...environmentSource.matchAll(/^\s+([A-Z][A-Z0-9_]+)\?:/gm)].map((match) => match[1]);
/** The port the monolith listens on when PORT is unset: its unit's httpPort in the topology. */
const defaultPort = String(JSON.parse(read('topologies/monolith.json')).units.monolith.httpPort);

const webpackConfigPath = 'apps/server/webpack.config.js';
const webpackConfig = require(join(workspaceRoot, webpackConfigPath));
/** The bundle's directory relative to the workspace root, e.g. dist/apps/server. */
const bundleDir = relative(workspaceRoot, webpackConfig.output.path).split('\\').join('/');
/** The files webpack writes for its entries, e.g. dist/apps/server/main.js. */
const entryOutputs = Object.keys(webpackConfig.entry).map((name) =>
  posix.join(bundleDir, String(webpackConfig.output.filename).replace('[name]', name)),
);
const dependencies = Object.keys(JSON.parse(read('package.json')).dependencies ?? {});
const ignorePatterns = read('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

// ---- the Dockerfile ---------------------------------------------------------------------------

describe('docker/Dockerfile', () => {
  const stages = parseDockerfile(read('docker/Dockerfile'));
  const build = stages[0];
  const runtime = stages.at(-1)!;
  const buildCommand = all(build, 'RUN').find((run) => run.raw.includes('webpack'));
  /** The build stage's filesystem, replayed: what its COPY instructions bring in, then its build. */
  let buildContext: string;
  /** A path in the build stage's filesystem, as a path in {@link buildContext}. */
  const inBuildStage = (absolute: string) => {
    const path = posix.relative(buildCommand!.workdir, absolute);
    if (path.startsWith('..')) throw new Error(`${absolute} is outside the build's WORKDIR ${buildCommand!.workdir}`);
    return join(buildContext, path);
  };
  /** A `COPY --from=build` source (relative to the stage's root, not its WORKDIR), relative to the build's WORKDIR. */
  const copiedFromBuild = (source: string) => posix.relative(buildCommand!.workdir, posix.resolve('/', source));

  beforeAll(() => {
    buildContext = mkdtempSync(join(tmpdir(), 'strata-docker-build-'));
    for (const copy of all(build, 'COPY').filter((instruction) => !instruction.flags.from)) {
      const sources = copy.args.slice(0, -1);
      const destination = posix.resolve(copy.workdir, copy.args.at(-1)!);
      const intoFolder = sources.length > 1 || /(\/|^\.)$/.test(copy.args.at(-1)!);
      for (const source of sources) {
        // A directory's contents go to the destination; a file goes into it when it is a folder.
        const file = !statSync(join(workspaceRoot, source)).isDirectory();
        const target = file && intoFolder ? posix.join(destination, posix.basename(source)) : destination;
        cpSync(join(workspaceRoot, source), inBuildStage(target), {
          recursive: true,
          filter: (path) => !dockerignored(ignorePatterns, relative(workspaceRoot, path).split('\\').join('/')),
        });
      }
    }
    // `npm ci` stands for itself: link the installed packages one by one, so webpack's cache
    // (node_modules/.cache) stays in the temporary context and never mixes with the workspace's.
    const modules = join(inBuildStage(buildCommand!.workdir), 'node_modules');
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(join(workspaceRoot, 'node_modules'))) {
      if (entry !== '.cache') symlinkSync(join(workspaceRoot, 'node_modules', entry), join(modules, entry));
    }
    execFileSync('sh', ['-c', buildCommand!.raw], { cwd: inBuildStage(buildCommand!.workdir), stdio: 'pipe' });
  }, 120_000);

  afterAll(() => {
    if (buildContext) rmSync(buildContext, { recursive: true, force: true });
  });

  it('builds in one stage and runs in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).not.toBe(runtime.name);
  });

  it('builds with the webpack config the workspace uses, from sources that exist and are not dockerignored', () => {
    expect(buildCommand?.raw).toContain(`--config ${webpackConfigPath}`);
    for (const copy of all(build, 'COPY').filter((instruction) => !instruction.flags.from)) {
      for (const source of copy.args.slice(0, -1)) {
        expect(existsSync(join(workspaceRoot, source))).toBe(true);
        expect({ source, ignored: dockerignored(ignorePatterns, source) }).toEqual({ source, ignored: false });
      }
    }
  });

  it('keeps the workspace installation and outputs out of the build context', () => {
    ['node_modules', 'dist', '.git', '.nx', '.data'].forEach((path) =>
      expect({ path, ignored: dockerignored(ignorePatterns, path) }).toEqual({ path, ignored: true }),
    );
  });

  it('copies from the build stage only what the webpack build produced', () => {
    const copies = all(runtime, 'COPY').filter((instruction) => instruction.flags.from === build.name);
    expect(copies).not.toHaveLength(0);
    for (const copy of copies) {
      for (const source of copy.args.slice(0, -1)) {
        const path = copiedFromBuild(source);
        expect({ source, inBundle: path === bundleDir || path.startsWith(`${bundleDir}/`) }).toEqual({ source, inBundle: true });
        expect(existsSync(join(buildContext, path))).toBe(true);
      }
    }
  });

  it('runs a bundle entry, at the path the build stage copied it to', () => {
    const cmd = last(runtime, 'CMD')!;
    expect(cmd.raw.startsWith('[')).toBe(true); // exec form: node is PID 1 and receives SIGTERM
    expect(cmd.args[0]).toBe('node');
    const script = posix.resolve(cmd.workdir, cmd.args.at(-1)!);
    // Which COPY --from put the script there, and which build-stage file it came from.
    const origins = all(runtime, 'COPY')
      .filter((copy) => copy.flags.from === build.name)
      .map((copy) => ({ source: posix.resolve('/', copy.args[0]), destination: posix.resolve(copy.workdir, copy.args.at(-1)!) }))
      .filter(({ destination }) => script.startsWith(`${destination}/`))
      .map(({ source, destination }) => copiedFromBuild(posix.join(source, posix.relative(destination, script))));
    expect(origins).toHaveLength(1);
    expect(entryOutputs).toContain(origins[0]);
    expect(existsSync(join(buildContext, origins[0]))).toBe(true);
  });

  it('installs the production dependencies where the bundle resolves them, and the bundle needs no others', () => {
    const install = all(runtime, 'RUN').find((run) => /npm ci\b.*--omit=dev/.test(run.raw));
    expect(install).toBeDefined();
    // Node resolves node_modules upwards from the script: the install must be in an ancestor.
    const script = posix.resolve(last(runtime, 'CMD')!.workdir, last(runtime, 'CMD')!.args.at(-1)!);
    expect(script.startsWith(`${install!.workdir}/`)).toBe(true);

    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    for (const output of entryOutputs) {
      const bundle = readFileSync(join(buildContext, output), 'utf8');
      const externals = [...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]).filter((name) => !builtins.has(name));
      expect(externals.length).toBeGreaterThan(0); // npm packages stay external: otherwise this proves nothing
      for (const external of externals) {
        const name = external.startsWith('@') ? external.split('/').slice(0, 2).join('/') : external.split('/')[0];
        expect({ output, name, dependency: dependencies.includes(name) }).toEqual({ output, name, dependency: true });
      }
    }
  });

  it('runs as a non-root user', () => {
    const user = last(runtime, 'USER');
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.args[0].split(':')[0]);
    const index = (instruction: Instruction | undefined) => runtime.instructions.indexOf(instruction!);
    expect(index(user)).toBeLessThan(index(last(runtime, 'CMD')));
  });

  it("exposes the app's default port", () => {
    expect(defaultPort).toBeDefined();
    expect(all(runtime, 'EXPOSE').flatMap((expose) => expose.args)).toEqual([defaultPort]);
  });

  it('checks /health with node itself (slim images have no curl or wget)', () => {
    const healthcheck = last(runtime, 'HEALTHCHECK');
    expect(healthcheck?.args[0]).toBe('CMD');
    const [, command] = /^CMD\s+(.*)$/.exec(healthcheck!.raw)!;
    const probe = command.startsWith('[') ? (JSON.parse(command) as string[]) : command.split(/\s+/);
    expect(probe[0]).toBe('node');
    expect(probe.join(' ')).toContain('/health');
    expect(probe.join(' ')).toContain(String(defaultPort));
  });
});

// ---- the compose file -------------------------------------------------------------------------

describe('docker/compose.yaml', () => {
  const compose = parse(read('docker/compose.yaml'));
  const { monolith, postgres } = compose.services;
  const environment = monolith.environment as Record<string, string>;

  it('runs the monolith with PostgreSQL and Redis, once both are healthy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['monolith', 'postgres', 'redis']);
    expect(monolith.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(compose.services.redis.healthcheck.test.join(' ')).toContain('ping');
  });

  it('keeps the database in a named volume', () => {
    const [volume] = (postgres.volumes as string[])[0].split(':');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it('builds the monolith from docker/Dockerfile with the repository as context', () => {
    const { context, dockerfile } = monolith.build;
    const contextDir = join(workspaceRoot, 'docker', context);

    expect(contextDir).toBe(workspaceRoot);
    expect(dockerfile).toBe('docker/Dockerfile');
    expect(existsSync(join(contextDir, dockerfile))).toBe(true);
  });

  it('sets only variables the app reads', () => {
    expect(declaredVariables).toContain('DATABASE_URL'); // the parse of environment.ts still works
    Object.keys(environment).forEach((name) => expect({ name, read: declaredVariables.includes(name) }).toEqual({ name, read: true }));
  });

  it('points DATABASE_URL and REDIS_URL at the compose services', () => {
    // Interpolation is compose's job; give the URL parser a concrete password.
    const database = new URL(environment.DATABASE_URL.replace(/\$\{[^}]+\}/g, 'secret'));
    expect(database.protocol).toBe('postgres:');
    expect(database.hostname).toBe('postgres');
    expect(database.port).toBe('5432');
    expect(database.username).toBe(postgres.environment.POSTGRES_USER);
    expect(database.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`);

    const redis = new URL(environment.REDIS_URL);
    expect(redis.protocol).toBe('redis:');
    expect(redis.hostname).toBe('redis');
  });

  it('publishes the port the app listens on', () => {
    const listening = environment.PORT ?? defaultPort;
    expect(listening).toBe(defaultPort); // the port the image EXPOSEs and its HEALTHCHECK probes
    expect(monolith.ports.map(String).map((port: string) => port.split(':').at(-1))).toEqual([listening]);
  });

  it('commits no real secret: the password comes from the environment, the same one in both places', () => {
    const password = postgres.environment.POSTGRES_PASSWORD as string;
    expect(password).toMatch(/^\$\{POSTGRES_PASSWORD(:-[^}]*)?\}$/);
    expect(environment.DATABASE_URL).toContain(`:${password}@`);
  });
});
