import { workspaceRoot } from '@nx/devkit';
import type { Linter } from 'eslint';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The dependency rules of docs/architecture.md ("Dependency rules") are the depConstraints of
 * `@nx/enforce-module-boundaries` in eslint.config.mjs. A rule without a failing fixture can test
 * nothing, so every rule has one here: an import written into a project and linted with the real
 * config, which must be refused; and every allowed kind of import must pass.
 *
 * The fixtures are never written to disk: ESLint lints their text as if it were
 * `<project root>/src/lib/__boundary_fixture__.ts` (see lint-fixtures.mjs).
 */

const BOUNDARY_RULE = '@nx/enforce-module-boundaries';
const FIXTURE_FILE = 'src/lib/__boundary_fixture__.ts';

interface Fixture {
  /** What the case proves; its first word is the importing project's type tag. */
  name: string;
  /** Root of the importing project. */
  from: string;
  code: string;
}

/** Imports a real export of `specifier` and uses it, so the fixture is otherwise clean. */
function importing(symbol: string, specifier: string): string {
  return `import { ${symbol} } from '${specifier}';\n\nexport const used = ${symbol};\n`;
}

const forbidden: Fixture[] = [
  {
    name: 'presentation must not import its own business',
    from: 'libs/catalog/presentation',
    code: importing('CatalogBusinessModule', '@strata/catalog/business'),
  },
  {
    name: 'presentation must not import its own data-access',
    from: 'libs/catalog/presentation',
    code: importing('ProductRepository', '@strata/catalog/data-access'),
  },
  {
    name: "presentation must not import another module's business",
    from: 'libs/orders/presentation',
    code: importing('CatalogBusinessModule', '@strata/catalog/business'),
  },
  {
    name: "business must not import another module's data-access",
    from: 'libs/orders/business',
    code: importing('ProductRepository', '@strata/catalog/data-access'),
  },
  {
    name: "business must not import another module's business",
    from: 'libs/orders/business',
    code: importing('CustomersBusinessModule', '@strata/customers/business'),
  },
  {
    name: "business must not import another module's presentation",
    from: 'libs/orders/business',
    code: importing('CatalogPresentationModule', '@strata/catalog/presentation'),
  },
  {
    name: 'data-access must not import its own business',
    from: 'libs/catalog/data-access',
    code: importing('CatalogBusinessModule', '@strata/catalog/business'),
  },
  {
    name: "data-access must not import another module's contracts",
    from: 'libs/orders/data-access',
    code: importing('CatalogPort', '@strata/catalog/contracts'),
  },
  {
    name: 'data-access must not import its own presentation',
    from: 'libs/customers/data-access',
    code: importing('CustomersPresentationModule', '@strata/customers/presentation'),
  },
  {
    name: 'contracts must not import its own data-access',
    from: 'libs/orders/contracts',
    code: importing('OrderRepository', '@strata/orders/data-access'),
  },
  {
    name: "contracts must not import another module's contracts",
    from: 'libs/orders/contracts',
    code: importing('CatalogPort', '@strata/catalog/contracts'),
  },
  {
    name: 'contracts must not import its own business',
    from: 'libs/customers/contracts',
    code: importing('CustomersBusinessModule', '@strata/customers/business'),
  },
  {
    name: "platform must not import a module's contracts",
    from: 'libs/platform/http',
    code: importing('CatalogPort', '@strata/catalog/contracts'),
  },
  {
    name: "platform must not import a module's data-access",
    from: 'libs/platform/database',
    code: importing('OrderRepository', '@strata/orders/data-access'),
  },
  {
    name: 'business must not reach into another project by a relative path',
    from: 'libs/orders/business',
    code: importing('ProductRepository', '../../../../catalog/data-access/src/lib/product.repository'),
  },
  // Other forms of import count as much as a plain `import`.
  {
    name: 'presentation must not import its own business for types only (import type)',
    from: 'libs/catalog/presentation',
    code: "import type { CatalogBusinessModule } from '@strata/catalog/business';\n\nexport type Used = CatalogBusinessModule;\n",
  },
  {
    name: 'presentation must not re-export its own data-access (export from)',
    from: 'libs/catalog/presentation',
    code: "export { ProductRepository } from '@strata/catalog/data-access';\n",
  },
  {
    name: "presentation must not load another module's business lazily (import())",
    from: 'libs/customers/presentation',
    code: "export const load = () => import('@strata/orders/business').then((m) => m.OrdersBusinessModule);\n",
  },
];

const allowed: Fixture[] = [
  {
    name: 'presentation may import its own contracts',
    from: 'libs/catalog/presentation',
    code: importing('CatalogPort', '@strata/catalog/contracts'),
  },
  {
    name: "presentation may import another module's contracts",
    from: 'libs/customers/presentation',
    code: importing('OrdersPort', '@strata/orders/contracts'),
  },
  {
    name: 'presentation may import platform',
    from: 'libs/catalog/presentation',
    code: importing('ParseIdPipe', '@strata/platform/http'),
  },
  {
    name: 'business may import its own data-access',
    from: 'libs/orders/business',
    code: importing('OrderRepository', '@strata/orders/data-access'),
  },
  {
    name: 'business may import its own contracts',
    from: 'libs/orders/business',
    code: importing('OrdersPort', '@strata/orders/contracts'),
  },
  {
    name: "business may import another module's contracts",
    from: 'libs/orders/business',
    code: importing('CatalogPort', '@strata/catalog/contracts'),
  },
  {
    name: 'business may import platform',
    from: 'libs/orders/business',
    code: importing('JobsWorker', '@strata/platform/queue'),
  },
  {
    name: 'data-access may import its own contracts',
    from: 'libs/catalog/data-access',
    code: importing('ProductDto', '@strata/catalog/contracts'),
  },
  {
    name: 'data-access may import platform',
    from: 'libs/catalog/data-access',
    code: importing('isUniqueViolation', '@strata/platform/database'),
  },
  {
    name: 'contracts may import platform',
    from: 'libs/orders/contracts',
    code: importing('defineJob', '@strata/platform/queue'),
  },
  {
    name: 'platform may import platform',
    from: 'libs/platform/http',
    code: importing('loadConfig', '@strata/platform/config'),
  },
  {
    name: "app may import anything (a module's business)",
    from: 'apps/server',
    code: importing('OrdersBusinessModule', '@strata/orders/business'),
  },
];

const fixtures = [...forbidden, ...allowed];

function fixturePath(fixture: Fixture): string {
  return `${fixture.from}/${FIXTURE_FILE}`;
}

/** Lints the fixtures in a child process (see lint-fixtures.mjs for why) and returns their messages. */
function lintFixtures(toLint: Fixture[]): Map<Fixture, Linter.LintMessage[]> {
  const run = spawnSync(process.execPath, [join(__dirname, 'lint-fixtures.mjs')], {
    cwd: workspaceRoot,
    input: JSON.stringify({
      workspaceRoot,
      fixtures: toLint.map((fixture) => ({ filePath: fixturePath(fixture), code: fixture.code })),
    }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error || run.status !== 0) {
    throw new Error(`lint-fixtures.mjs failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stderr}${run.stdout}`);
  }
  let results: { filePath: string; messages: Linter.LintMessage[] }[];
  try {
    results = JSON.parse(run.stdout);
  } catch {
    throw new Error(`lint-fixtures.mjs printed more than its results:\n${run.stdout}\n${run.stderr}`);
  }
  return new Map(toLint.map((fixture, index) => [fixture, results[index].messages]));
}

const pathAliases = Object.keys(JSON.parse(readFileSync(join(workspaceRoot, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths);

/**
 * An allowed import also passes when the fixture is not where it claims to be (a file outside every
 * project is constrained by no rule) or imports something the rule does not know as a project
 * (a misspelt alias). So: the importing project must carry the type tag that the case's name starts
 * with, and the one import must be a path alias of tsconfig.base.json or an existing file.
 */
function expectFixtureToBeWhatItSays({ name, from, code }: Fixture): void {
  const { tags } = JSON.parse(readFileSync(join(workspaceRoot, from, 'project.json'), 'utf8')) as { tags?: string[] };
  expect(tags).toContain(`type:${name.split(' ')[0]}`);

  const specifiers = [...code.matchAll(/(?:from\s+|import\()'([^']+)'/g)].map((match) => match[1]);
  expect(specifiers).toHaveLength(1);
  const [specifier] = specifiers;
  if (specifier.startsWith('.')) {
    expect(existsSync(`${resolve(workspaceRoot, from, dirname(FIXTURE_FILE), specifier)}.ts`)).toBe(true);
  } else {
    expect(pathAliases).toContain(specifier);
  }
}

describe('module boundaries', () => {
  let messagesOf: Map<Fixture, Linter.LintMessage[]>;

  beforeAll(() => {
    messagesOf = lintFixtures(fixtures);
  }, 60_000);

  describe('refuse', () => {
    it.each(forbidden)('$name', (fixture) => {
      expectFixtureToBeWhatItSays(fixture);
      expect(messagesOf.get(fixture)).toEqual([expect.objectContaining({ ruleId: BOUNDARY_RULE, severity: 2 })]);
    });
  });

  describe('allow', () => {
    it.each(allowed)('$name', (fixture) => {
      expectFixtureToBeWhatItSays(fixture);
      // Empty: no boundary error, and no parse error or "file ignored" warning that would hide one.
      expect(messagesOf.get(fixture)).toEqual([]);
    });
  });
});
