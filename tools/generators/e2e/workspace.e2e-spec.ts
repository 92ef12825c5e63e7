import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/*
 * The generators as a user runs them, on a copy of this workspace: generate a module with fields
 * and jobs, lint, type-check and test it, serve it from the monolith and from the split topology
 * as real processes, extract it into its own unit and serve it again, merge it back (nothing left
 * in `git diff`), and run the same `module` command a second time (refused, nothing changed).
 * Every step runs the real command line (`npx nx g ...`, `jest`, `webpack`), as a child process.
 */

const workspaceRoot = join(__dirname, '../../..');
const MINUTES = 60_000;

/** The environment of a command run by a user in a terminal: no Nx or Jest task variables leak in. */
const userEnvironment = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(NX_|JEST_)/.test(name) && name !== 'NODE_OPTIONS' && name !== 'DATABASE_URL'),
) as NodeJS.ProcessEnv;

interface CommandResult {
  status: number | null;
  output: string;
}

describe('the generators on a copy of the workspace', () => {
  let copy: string;

  const run = (command: string, args: string[]): CommandResult => {
    const result = spawnSync(command, args, {
      cwd: copy,
      env: { ...userEnvironment, CI: 'true', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 8 * MINUTES,
    });
    return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
  };
  /** Runs a command that must succeed; a failure shows its whole output. */
  const succeed = (command: string, ...args: string[]): string => {
    const { status, output } = run(command, args);
    if (status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${status}:\n${output}`);
    return output;
  };
  const git = (...args: string[]) => succeed('git', ...args).trim();
  const commit = (message: string) =>
    git('-c', 'user.name=strata', '-c', 'user.email=strata@example.com', 'commit', '--quiet', '--no-verify', '-m', message);
  const read = (path: string) => readFileSync(join(copy, path), 'utf8');
  /** The paths `git status` reports changed or new, relative to the workspace. */
  const changedFiles = () =>
    succeed('git', 'status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));

  beforeAll(() => {
    copy = join(mkdtempSync(join(tmpdir(), 'strata-generators-')), 'workspace');
    // What a clone has: the tracked files and any new ones not ignored, plus the installed packages.
    const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: workspaceRoot, encoding: 'utf8' })
      .stdout.split('\0')
      .filter(Boolean);
    for (const file of files) {
      try {
        cpSync(join(workspaceRoot, file), join(copy, file), { recursive: false });
      } catch (error) {
        // A file deleted in the work tree but not yet in git's index.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    symlinkSync(join(workspaceRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
    git('init', '--quiet');
    git('add', '--all');
    commit('the workspace as cloned');
  });
  afterAll(() => {
    if (copy && !process.env['STRATA_KEEP_E2E_WORKSPACE']) rmSync(dirname(copy), { recursive: true, force: true });
  });

  // The README's example, under a name no user module takes (a user may well have generated
  // `invoices`), and long: its routes are the workspace's longest, as a user's often are.
  const moduleCommand = [
    'nx',
    'g',
    '@strata/generators:module',
    'spec-purchase-invoices',
    '--fields=number:string:unique,amountCents:int,paid:boolean?',
    '--jobs',
    '--no-interactive',
  ];

  it("in a terminal, a clone's first nx command asks nothing and changes no file", () => {
    // `script` gives nx a terminal, where Nx 23 asks once whether to share usage data and writes
    // the answer into nx.json, reformatted: a clone's first `npx nx g` waited on that question and
    // left a change in git (nx.json sets `analytics` to settle it).
    const { CI: _ci, ...terminalEnvironment } = userEnvironment;
    const result = spawnSync('script', ['-qec', 'npx nx show projects', '/dev/null'], {
      cwd: copy,
      env: { ...terminalEnvironment, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: MINUTES,
    });
    const output = `${result.stdout}${result.stderr}`;

    expect(output).not.toContain('usage data');
    expect({ status: result.status, signal: result.signal }).toEqual({ status: 0, signal: null });
    expect(output).toContain('orders-business');
    expect(changedFiles()).toEqual([]);
  });

  it('generates a module with fields and jobs, registered in the application, the migrations and every topology', () => {
    succeed('npx', ...moduleCommand);

    for (const tier of ['contracts', 'data-access', 'business', 'presentation']) {
      expect(read(`libs/spec-purchase-invoices/${tier}/project.json`)).toContain(`"scope:spec-purchase-invoices"`);
    }
    expect(read('tsconfig.base.json')).toContain('"@strata/spec-purchase-invoices/contracts"');
    expect(read('apps/server/src/application.ts')).toContain('SpecPurchaseInvoicesWorkersModule');
    expect(read('migrations/src/index.ts')).toMatch(/CreateSpecPurchaseInvoices\d{13}/);
    expect(JSON.parse(read('topologies/split.json')).units.business.hosts).toContain('spec-purchase-invoices/business');
    expect(JSON.parse(read('topologies/orders-service.json')).units.core.hosts).toContain('spec-purchase-invoices/*');
    git('add', '--all');
    commit('spec-purchase-invoices');
  });

  it(
    'lints, type-checks and tests the new module, with no hand edit',
    () => {
      succeed(
        'npx',
        'nx',
        'run-many',
        '-t',
        'lint',
        'typecheck',
        '-p',
        'spec-purchase-invoices-*',
        'server',
        'migrations',
        '--outputStyle=static',
        '--skip-nx-cache',
      );
      // The generators' own specs too: they read the workspace, which now has the module.
      succeed(
        'npx',
        'nx',
        'run-many',
        '-t',
        'test',
        '-p',
        'spec-purchase-invoices-*',
        'migrations',
        'generators',
        '--outputStyle=static',
        '--skip-nx-cache',
      );
    },
    10 * MINUTES,
  );

  it(
    'serves it from the monolith: its end-to-end spec, and the topology and Ingress checks that now include it',
    () => {
      const output = succeed(
        'npx',
        'jest',
        '-c',
        'apps/server/jest.config.js',
        'apps/server/test/spec-purchase-invoices.e2e-spec.ts',
        'apps/server/test/topologies.spec.ts',
        'apps/server/test/deployment-routes.spec.ts',
      );

      expect(output).toMatch(/Tests:\s+\d+ passed/);
    },
    10 * MINUTES,
  );

  it(
    'serves it from the split and orders-service topologies, as real processes',
    () => {
      succeed('npx', 'webpack', '--config', 'apps/server/webpack.config.js');

      succeed('npx', 'jest', '-c', 'apps/server/jest.split.config.js', 'apps/server/test/spec-purchase-invoices.e2e-spec.ts');
      // Placed beside customers in the core unit, behind the edge with the orders unit.
      succeed('npx', 'jest', '-c', 'apps/server/jest.orders-service.config.js', 'apps/server/test/spec-purchase-invoices.e2e-spec.ts');
    },
    10 * MINUTES,
  );

  it(
    'extracts it into its own unit, changing configuration only, and the split topology still serves it',
    () => {
      const report = succeed('npx', 'nx', 'g', '@strata/generators:extract', 'spec-purchase-invoices');

      expect(JSON.parse(read('topologies/split.json')).units['spec-purchase-invoices'].hosts).toEqual(
        expect.arrayContaining(['spec-purchase-invoices/business', 'spec-purchase-invoices/data-access']),
      );
      expect(report).toMatch(/spec-purchase-invoices/);
      expect(changedFiles().length).toBeGreaterThan(0);
      expect(changedFiles().filter((path) => !path.startsWith('topologies/') && !path.startsWith('docker/'))).toEqual([]);

      succeed('npx', 'nx', 'run', 'docker:test', '--outputStyle=static', '--skip-nx-cache');
      succeed(
        'npx',
        'jest',
        '-c',
        'apps/server/jest.split.config.js',
        'apps/server/test/spec-purchase-invoices.e2e-spec.ts',
        'apps/server/test/orders.e2e-spec.ts',
      );
    },
    10 * MINUTES,
  );

  it('merges it back: the exact inverse, nothing left in git diff', () => {
    succeed('npx', 'nx', 'g', '@strata/generators:merge', 'spec-purchase-invoices');

    expect(changedFiles()).toEqual([]);
  });

  it('refuses to generate the same module twice, and changes nothing', () => {
    const { status, output } = run('npx', moduleCommand);

    expect(status).not.toBe(0);
    expect(output).toMatch(/spec-purchase-invoices.*already exists/);
    expect(changedFiles()).toEqual([]);
  });
});
