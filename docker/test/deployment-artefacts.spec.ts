import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

const workspaceRoot = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(workspaceRoot, path), 'utf8');

interface Stage {
  name: string;
  lines: string[];
}

/** Splits a Dockerfile into its stages (`FROM image AS name`), with continuation lines joined. */
function stagesOf(dockerfile: string): Stage[] {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? `stage-${stages.length}`, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

const instruction = (stage: Stage, name: string) => stage.lines.filter((line) => line.toUpperCase().startsWith(`${name} `));

/** The environment variables the app reads: the properties of the validated schema. */
const declaredVariables = [...read('libs/platform/config/src/lib/environment.ts').matchAll(/^\s+([A-Z][A-Z0-9_]+)\?:/gm)].map((m) => m[1]);

describe('docker/Dockerfile', () => {
  const stages = stagesOf(read('docker/Dockerfile'));
  const build = stages[0];
  const runtime = stages.at(-1) as Stage;
  const webpackConfig = require(join(workspaceRoot, 'apps/monolith/webpack.config.js'));
  const bundleDir = relative(workspaceRoot, webpackConfig.output.path);

  beforeAll(() => {
    // The honest check: build what the image builds, then look for what the image copies.
    execFileSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--config', 'apps/monolith/webpack.config.js'], {
      cwd: workspaceRoot,
      stdio: 'pipe',
    });
  });

  it('builds in one stage and runs in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).not.toBe(runtime.name);
  });

  it('builds the bundle with the webpack config the workspace uses, from sources that exist', () => {
    expect(instruction(build, 'RUN').join('\n')).toContain('webpack --config apps/monolith/webpack.config.js');
    for (const copy of instruction(build, 'COPY')) {
      const sources = copy.split(/\s+/).slice(1, -1);
      sources.forEach((source) => expect(existsSync(join(workspaceRoot, source))).toBe(true));
    }
  });

  it('copies from the build stage exactly what the build produces, and runs it', () => {
    const copies = instruction(runtime, 'COPY').filter((line) => line.includes(`--from=${build.name}`));
    expect(copies).not.toHaveLength(0);
    for (const copy of copies) {
      const source = copy.split(/\s+/)[2].replace('/workspace/', '');
      expect(source).toBe(bundleDir);
      expect(existsSync(join(workspaceRoot, source))).toBe(true);
    }
    const [cmd] = instruction(runtime, 'CMD');
    const script = JSON.parse(cmd.slice(4)).at(-1) as string;
    expect(Object.keys(webpackConfig.entry).map((entry) => `${bundleDir}/${entry}.js`)).toContain(script);
    expect(existsSync(join(workspaceRoot, script))).toBe(true);
  });

  it('runs as a non-root user, with production dependencies only', () => {
    expect(instruction(runtime, 'USER')).toEqual(['USER node']);
    expect(instruction(runtime, 'RUN').join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('exposes the default port and checks /health', () => {
    expect(instruction(runtime, 'EXPOSE')).toEqual(['EXPOSE 3000']);
    expect(instruction(runtime, 'HEALTHCHECK').join('\n')).toContain('/health');
  });
});

describe('docker/compose.yaml', () => {
  const compose = parse(read('docker/compose.yaml'));

  it('runs the monolith with PostgreSQL and Redis, once both are healthy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['monolith', 'postgres', 'redis']);
    expect(compose.services.monolith.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(compose.services.postgres.healthcheck).toBeDefined();
    expect(compose.services.redis.healthcheck).toBeDefined();
  });

  it('builds the monolith from docker/Dockerfile with the repository as context', () => {
    const { context, dockerfile } = compose.services.monolith.build;
    const contextDir = join(workspaceRoot, 'docker', context);

    expect(contextDir).toBe(workspaceRoot);
    expect(existsSync(join(contextDir, dockerfile))).toBe(true);
  });

  it('sets only variables the app reads, pointing at the compose services', () => {
    const environment = compose.services.monolith.environment as Record<string, string>;

    expect(declaredVariables).toContain('DATABASE_URL');
    Object.keys(environment).forEach((name) => expect(declaredVariables).toContain(name));
    expect(environment.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(environment.REDIS_URL).toBe('redis://redis:6379');
  });

  it('publishes the port the app listens on', () => {
    expect(compose.services.monolith.ports).toEqual([`${compose.services.monolith.environment.PORT}:3000`]);
  });

  it('commits no real secret: passwords come from the environment', () => {
    expect(compose.services.postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD/);
  });
});
