import { getProjects, readJson, visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import type { NormalizedModule } from './names';
import { objectKeys } from './ts-edits';

export const TSCONFIG_BASE = 'tsconfig.base.json';
export const APPLICATION = 'apps/server/src/application.ts';
export const MIGRATIONS_INDEX = 'migrations/src/index.ts';
export const MIGRATIONS_DIR = 'migrations/src';
export const TOPOLOGIES_DIR = 'topologies';
export const E2E_DIR = 'apps/server/test';

export const projectName = (module: NormalizedModule, tier: string): string => `${module.name.fileName}-${tier}`;
export const aliasOf = (module: NormalizedModule, tier: string): string => `@strata/${module.name.fileName}/${tier}`;

/** The workspace's business modules: the folders of `libs/` other than `platform`, as lint derives them. */
export function existingModules(tree: Tree): string[] {
  return tree
    .children('libs')
    .filter((child) => child !== 'platform' && !tree.isFile(`libs/${child}`))
    .sort();
}

/** The shipped topology files: the JSON files of `topologies/` that declare units. */
export function topologyFiles(tree: Tree): string[] {
  return tree
    .children(TOPOLOGIES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => `${TOPOLOGIES_DIR}/${file}`)
    .filter((path) => {
      const json = readJson<{ units?: unknown }>(tree, path);
      return typeof json.units === 'object' && json.units !== null;
    })
    .sort();
}

/** Refuses the name of a module the workspace has (`orders`), before its name is judged (its singular is reserved). */
export function refuseExistingModule(tree: Tree, name: unknown): void {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (existingModules(tree).includes(trimmed)) {
    throw new Error(`Cannot create the module "${trimmed}": libs/${trimmed} already exists`);
  }
}

/**
 * Refuses, with one line, when the module cannot be added as asked: something of its name
 * already exists (folder, project, alias, schema, application entry, test or migration), or the
 * `--placeWith` module does not. Reads only.
 */
export function checkWorkspace(tree: Tree, module: NormalizedModule): void {
  const name = module.name.fileName;
  const refuse = (why: string): never => {
    throw new Error(`Cannot create the module "${name}": ${why}`);
  };

  if (tree.exists(`libs/${name}`)) refuse(`libs/${name} already exists`);
  const projects = getProjects(tree);
  for (const tier of module.tiers) {
    if (projects.has(projectName(module, tier))) refuse(`the project ${projectName(module, tier)} already exists`);
  }
  const paths = readJson<{ compilerOptions?: { paths?: Record<string, unknown> } }>(tree, TSCONFIG_BASE).compilerOptions?.paths ?? {};
  const alias = Object.keys(paths).find((key) => key === `@strata/${name}` || key.startsWith(`@strata/${name}/`));
  if (alias) refuse(`the path alias ${alias} already exists in ${TSCONFIG_BASE}`);
  if (tree.exists(`${MIGRATIONS_DIR}/${name}`)) refuse(`${MIGRATIONS_DIR}/${name} already exists`);
  if (schemaExists(tree, module.schema)) refuse(`a migration already creates the PostgreSQL schema "${module.schema}"`);

  const application = tree.read(APPLICATION, 'utf-8');
  if (application === null) refuse(`${APPLICATION} is missing`);
  const registered = objectKeys(APPLICATION, application as string, 'application', ['modules']);
  if (!registered) refuse(`cannot find application.modules in ${APPLICATION}`);
  if (registered?.includes(name)) refuse(`${APPLICATION} already registers a module "${name}"`);

  const entity = module.entity.className;
  const clash = classDeclaredIn(tree, 'libs', [
    `${entity}Dto`,
    `Create${entity}Dto`,
    `${entity}PageDto`,
    `List${module.name.className}Query`,
  ]);
  if (clash) {
    // The API document names a schema by its class: two modules' classes of one name would be one schema, the last read.
    refuse(
      `${clash.path} already declares a class ${clash.className}, which the module's contracts would declare again; choose another --entity`,
    );
  }

  if (tree.exists(`${E2E_DIR}/${name}.e2e-spec.ts`)) refuse(`${E2E_DIR}/${name}.e2e-spec.ts already exists`);

  const modules = existingModules(tree);
  if (!modules.includes(module.placeWith) || !registered?.includes(module.placeWith)) {
    refuse(`--placeWith "${module.placeWith}" is not a module of this workspace (modules: ${modules.join(', ')})`);
  }
}

/** The first TypeScript file under `dir` (Git's ignored files aside) declaring a class of one of `classNames`, if any. */
function classDeclaredIn(tree: Tree, dir: string, classNames: string[]): { path: string; className: string } | undefined {
  const declaration = new RegExp(`\\bclass\\s+(${classNames.join('|')})\\b`);
  let found: { path: string; className: string } | undefined;
  visitNotIgnoredFiles(tree, dir, (path) => {
    const match = !found && path.endsWith('.ts') ? declaration.exec(tree.read(path, 'utf-8') ?? '') : null;
    if (match) found = { path, className: match[1] };
  });
  return found;
}

/** Whether any migration creates the schema (`CREATE SCHEMA <name>`, quoted or not). */
function schemaExists(tree: Tree, schema: string): boolean {
  const pattern = new RegExp(`CREATE\\s+SCHEMA\\s+(IF\\s+NOT\\s+EXISTS\\s+)?"?${schema}"?(\\W|$)`, 'i');
  const visit = (dir: string): boolean =>
    tree.children(dir).some((child) => {
      const path = `${dir}/${child}`;
      if (!tree.isFile(path)) return visit(path);
      return path.endsWith('.ts') && pattern.test(tree.read(path, 'utf-8') ?? '');
    });
  return tree.exists(MIGRATIONS_DIR) && visit(MIGRATIONS_DIR);
}

/** The application's modules, in the order `application.modules` lists them. */
export function applicationModules(tree: Tree): string[] {
  return objectKeys(APPLICATION, tree.read(APPLICATION, 'utf-8') ?? '', 'application', ['modules']) ?? [];
}
