import { readJson, updateJson, type Tree } from '@nx/devkit';
import type { NormalizedModule } from './names';
import { addImport, appendElement, arrayElements, importedModules, insertProperty } from './ts-edits';
import { aliasOf, APPLICATION, MIGRATIONS_INDEX, TSCONFIG_BASE } from './workspace';

/**
 * Each `plan…` function reads what it edits and computes the new content, throwing (one line)
 * if it cannot; it returns the write, which the generator runs only once every plan succeeded.
 */
export type Write = () => void;

/** The four path aliases `@strata/<name>/<tier>`, each at its sorted place among the others. */
export function planPathAliases(tree: Tree, module: NormalizedModule): Write {
  const json = readJson<{ compilerOptions: { paths?: Record<string, string[]> } }>(tree, TSCONFIG_BASE);
  const existing = Object.entries(json.compilerOptions.paths ?? {});
  const added = module.tiers.map((tier): [string, string[]] => [
    aliasOf(module, tier),
    [`./libs/${module.name.fileName}/${tier}/src/index.ts`],
  ]);
  const paths = [...existing];
  for (const entry of added) {
    const at = paths.findIndex(([key]) => key > entry[0]);
    paths.splice(at === -1 ? paths.length : at, 0, entry);
  }
  return () =>
    updateJson(tree, TSCONFIG_BASE, (tsconfig) => {
      tsconfig.compilerOptions.paths = Object.fromEntries(paths);
      return tsconfig;
    });
}

/** The tiers' imports and the `application.modules` entry (with `workers` when the module has jobs). */
export function planApplication(tree: Tree, module: NormalizedModule): Write {
  const { className, fileName } = module.name;
  let source = tree.read(APPLICATION, 'utf-8') ?? '';
  const imports: Record<string, string[]> = {
    business: [`${className}BusinessModule`, ...(module.jobs ? [`${className}WorkersModule`] : [])],
    'data-access': [`${className}DataAccessModule`],
    presentation: [`${className}PresentationModule`],
  };
  for (const [tier, names] of Object.entries(imports)) {
    if (importedModules(APPLICATION, source).includes(aliasOf(module, tier))) {
      throw new Error(`Cannot create the module "${fileName}": ${APPLICATION} already imports ${aliasOf(module, tier)}`);
    }
    source = addImport(APPLICATION, source, aliasOf(module, tier), names);
  }
  const key = /^[a-z][a-z0-9]*$/.test(fileName) ? fileName : `'${fileName}'`;
  const tiers = [
    `presentation: ${className}PresentationModule`,
    `business: ${className}BusinessModule`,
    `'data-access': ${className}DataAccessModule`,
    ...(module.jobs ? [`workers: ${className}WorkersModule`] : []),
  ];
  // Beside the module it is placed with, as in the topologies: the application's module order is
  // the order `merge` writes a topology's hosts back in, so extract then merge changes nothing.
  source = insertProperty(APPLICATION, source, 'application', ['modules'], `${key}: { ${tiers.join(', ')} }`, module.placeWith);
  return () => tree.write(APPLICATION, source);
}

/** The migration's timestamp: now, but strictly after every migration already registered. */
export function nextMigrationTimestamp(tree: Tree, now: number): number {
  const source = tree.read(MIGRATIONS_INDEX, 'utf-8');
  if (source === null) throw new Error(`Cannot create the module: ${MIGRATIONS_INDEX} is missing`);
  const registered = arrayElements(MIGRATIONS_INDEX, source, 'migrations');
  if (!registered) throw new Error(`Cannot create the module: cannot find the array "migrations" in ${MIGRATIONS_INDEX}`);
  const stamps = registered.map((name) => Number(/(\d{13})$/.exec(name)?.[1] ?? 0));
  return Math.max(now, ...stamps.map((stamp) => stamp + 1));
}

export const migrationClassName = (module: NormalizedModule, timestamp: number): string => `Create${module.name.className}${timestamp}`;
export const migrationFile = (module: NormalizedModule, timestamp: number): string =>
  `${module.name.fileName}/${timestamp}-create-${module.name.fileName}`;

/** The migration's import and its entry, last, in `migrations`. */
export function planMigrationIndex(tree: Tree, module: NormalizedModule, timestamp: number): Write {
  const className = migrationClassName(module, timestamp);
  let source = tree.read(MIGRATIONS_INDEX, 'utf-8') ?? '';
  source = addImport(MIGRATIONS_INDEX, source, `./${migrationFile(module, timestamp)}`, [className]);
  source = appendElement(MIGRATIONS_INDEX, source, 'migrations', className);
  return () => tree.write(MIGRATIONS_INDEX, source);
}
