import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { all, dockerignored, last, nodeLine, readImageFacts } from './support/dockerfile';
import {
  isReadByTheApp,
  oldestSupportedNodeLine,
  productionDependencies,
  readWorkspaceFile,
  webpackBuild,
  workspaceRoot,
} from './support/workspace';

/**
 * Checks docker/Dockerfile against the workspace it packages: the webpack config that produces
 * the bundles, the dependencies they load, the variables the app reads. No Docker engine is
 * needed: the build stage's COPY instructions are replayed into a temporary build context and
 * its build command is run there, so a missing source, a renamed entry or a wrong path fails here
 * instead of in `docker build`.
 */

const image = readImageFacts();
const { build, runtime, buildCommand } = image;
const ignorePatterns = readWorkspaceFile('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
/** Variables Node itself reads, which the image may set beside the app's. */
const nodeVariables = ['NODE_ENV', 'NODE_OPTIONS'];

describe('docker/Dockerfile', () => {
  /** The build stage's filesystem, replayed: what its COPY instructions bring in, then its build. */
  let buildContext: string;
  /** A path in the build stage's filesystem, as a path in {@link buildContext}. */
  const inBuildStage = (absolute: string) => {
    const path = posix.relative(buildCommand.workdir, absolute);
    if (path.startsWith('..')) throw new Error(`${absolute} is outside the build's WORKDIR ${buildCommand.workdir}`);
    return join(buildContext, path);
  };
  /** The files the image gets from the build stage, as paths relative to the build's WORKDIR. */
  const bundlesInImage = () =>
    all(runtime, 'COPY')
      .filter((copy) => copy.flags.from === build.name)
      .flatMap((copy) => copy.args.slice(0, -1).map((source) => posix.relative(buildCommand.workdir, posix.resolve('/', source))))
      .filter((path) => path.endsWith('.js'));

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
    const modules = join(inBuildStage(buildCommand.workdir), 'node_modules');
    mkdirSync(modules, { recursive: true });
    for (const entry of readdirSync(join(workspaceRoot, 'node_modules'))) {
      if (entry !== '.cache') symlinkSync(join(workspaceRoot, 'node_modules', entry), join(modules, entry));
    }
    execFileSync('sh', ['-c', buildCommand.raw], { cwd: inBuildStage(buildCommand.workdir), stdio: 'pipe' });
  }, 120_000);

  afterAll(() => {
    if (buildContext) rmSync(buildContext, { recursive: true, force: true });
  });

  it('builds in one stage and runs in another', () => {
    expect(image.stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).not.toBe(runtime.name);
  });

  it('builds and runs on one Node LTS line, one the workspace supports and the bundles are compiled for', () => {
    expect(nodeLine(runtime)).toBe(nodeLine(build));
    expect(nodeLine(runtime) % 2).toBe(0); // even lines are Node's long-term-support ones
    expect(nodeLine(runtime)).toBeGreaterThanOrEqual(oldestSupportedNodeLine);
    expect(nodeLine(runtime)).toBeGreaterThanOrEqual(webpackBuild.targetNodeLine);
  });

  it('runs the Node line .nvmrc recommends to developers', () => {
    expect(Number(readWorkspaceFile('.nvmrc').trim())).toBe(nodeLine(runtime));
  });

  it('builds with the webpack config the workspace uses, from sources that exist and are not dockerignored', () => {
    expect(buildCommand.raw).toContain(`--config ${webpackBuild.configPath}`);
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

  it('copies from the build stage only files the webpack build produced', () => {
    const copies = all(runtime, 'COPY').filter((instruction) => instruction.flags.from === build.name);
    expect(copies).not.toHaveLength(0);
    for (const copy of copies) {
      for (const source of copy.args.slice(0, -1)) {
        const path = posix.relative(buildCommand.workdir, posix.resolve('/', source));
        expect({ source, inBundle: path.startsWith(`${webpackBuild.outputDir}/`) }).toEqual({ source, inBundle: true });
        expect({ source, built: existsSync(join(buildContext, path)) }).toEqual({ source, built: true });
      }
    }
  });

  it('runs the unit program (main.js), at the path the build stage copied it to', () => {
    expect(last(runtime, 'CMD')!.raw.startsWith('[')).toBe(true); // exec form: node is PID 1 and receives SIGTERM
    expect(image.cmd[0]).toBe('node');
    const script = posix.resolve(image.workdir, image.cmd.at(-1)!);
    expect(image.builtFileAt(script)).toBe(webpackBuild.outputs.main);
  });

  it('carries the migration program beside it, for the migration job and init containers', () => {
    const migrate = posix.join(image.workdir, webpackBuild.outputs.migrate);
    expect(image.builtFileAt(migrate)).toBe(webpackBuild.outputs.migrate);
  });

  it('carries the edge, for a topology whose public API several units serve (compose, Kubernetes)', () => {
    const edge = posix.join(image.workdir, webpackBuild.outputs.edge);
    expect(image.builtFileAt(edge)).toBe(webpackBuild.outputs.edge);
  });

  it('installs only production dependencies: no dev tools, no embedded PostgreSQL, no install scripts', () => {
    const install = all(runtime, 'RUN').find((run) => /\bnpm ci\b/.test(run.raw));
    expect(install?.raw).toMatch(/^npm ci --omit=dev --omit=optional --ignore-scripts\b/);
  });

  it('installs them where the bundles resolve them', () => {
    const install = all(runtime, 'RUN').find((run) => /\bnpm ci\b/.test(run.raw))!;
    // Node resolves node_modules upwards from the script: the install must be in an ancestor.
    expect(posix.resolve(image.workdir, image.cmd.at(-1)!).startsWith(`${install.workdir}/`)).toBe(true);
  });

  it('carries only bundles that need no more than the production dependencies', () => {
    // launch.js (npm run start:split) needs `concurrently`, a dev dependency: it is not in the
    // image, so it is not checked here; every bundle the image does carry is.
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    expect(bundlesInImage()).toEqual(
      expect.arrayContaining([webpackBuild.outputs.main, webpackBuild.outputs.migrate, webpackBuild.outputs.edge]),
    );
    for (const bundle of bundlesInImage()) {
      const text = readFileSync(join(buildContext, bundle), 'utf8');
      const externals = [...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]).filter((name) => !builtins.has(name));
      expect(externals.length).toBeGreaterThan(0); // npm packages stay external: otherwise this proves nothing
      for (const external of externals) {
        const name = external.startsWith('@') ? external.split('/').slice(0, 2).join('/') : external.split('/')[0];
        expect({ bundle, name, dependency: productionDependencies.includes(name) }).toEqual({ bundle, name, dependency: true });
      }
    }
  });

  it('runs as a non-root user with a numeric id, which Kubernetes can check (runAsNonRoot)', () => {
    expect(image.user).toMatch(/^\d+(:\d+)?$/);
    expect(image.user!.split(':')[0]).not.toBe('0');
    const index = (keyword: string) => runtime.instructions.indexOf(last(runtime, keyword)!);
    expect(index('USER')).toBeLessThan(index('CMD'));
  });

  it('sets only variables the app or Node reads', () => {
    Object.keys(image.env).forEach((name) =>
      expect({ name, read: isReadByTheApp(name) || nodeVariables.includes(name) }).toEqual({ name, read: true }),
    );
  });

  it('listens on the ports it exposes, whatever unit it runs: PORT and INTERNAL_PORT are set in the image', () => {
    expect(image.env.PORT).toMatch(/^\d+$/);
    expect(image.env.INTERNAL_PORT).toMatch(/^\d+$/);
    expect([...image.exposedPorts].sort()).toEqual([image.env.PORT, image.env.INTERNAL_PORT].sort());
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = last(runtime, 'HEALTHCHECK');
    const [, command] = /^CMD\s+(.*)$/.exec(healthcheck?.raw ?? '') ?? [];
    const probe = command?.startsWith('[') ? (JSON.parse(command) as string[]) : [];
    let server: Server;
    let status = 200;
    const requested: string[] = [];
    /** Runs the probe as Docker would, with `environment`; resolves with its exit code. */
    const runProbe = (environment: Record<string, string>) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(probe[0] === 'node' ? process.execPath : probe[0], probe.slice(1), { env: environment, stdio: 'ignore' });
        child.once('exit', resolve);
      });

    beforeAll(async () => {
      server = createServer((request, response) => {
        requested.push(request.url ?? '');
        response.writeHead(status).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('runs node itself, in exec form (slim images have no curl or wget)', () => {
      expect(probe[0]).toBe('node');
    });

    it('passes when /health/ready on PORT answers 200, fails when it answers 503', async () => {
      const port = String((server.address() as AddressInfo).port);
      status = 200;
      expect(await runProbe({ PORT: port })).toBe(0);
      status = 503;
      expect(await runProbe({ PORT: port })).toBe(1);
      expect(requested).toEqual(['/health/ready', '/health/ready']);
    });

    it("probes the image's PORT when PORT is unset", () => {
      expect(probe.join(' ')).toContain(`process.env.PORT || ${image.env.PORT}`);
    });
  });
});
