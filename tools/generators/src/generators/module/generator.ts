import { formatFiles, logger, type Tree } from '@nx/devkit';
import { createFiles } from './lib/create-files';
import { refuseNameClashes } from './lib/identifiers';
import { planDeployment } from './lib/deployment';
import { normalizeOptions } from './lib/names';
import { nextMigrationTimestamp, planApplication, planMigrationIndex, planPathAliases } from './lib/register';
import { planTopologies } from './lib/topologies';
import { checkWorkspace, refuseExistingModule } from './lib/workspace';
import type { ModuleGeneratorSchema } from './schema';

/**
 * `nx g @strata/generators:module <name>`: a business module across the tiers, registered
 * everywhere it must be. Everything is checked and every edit computed before the first
 * registration, and Nx writes the Tree to disk only once the generator returns, so a refusal (one
 * line) leaves the workspace as it was, and `--dry-run` writes nothing.
 */
export async function moduleGenerator(tree: Tree, options: ModuleGeneratorSchema): Promise<void> {
  // 1. Names, entity and fields (a module that exists is told so first, not why its name is bad).
  refuseExistingModule(tree, options.name);
  const module = normalizeOptions(options);
  // 2. Nothing of that name exists yet; the placeWith module does.
  checkWorkspace(tree, module);
  // 3. Every registration, computed (and refused if impossible) before any write.
  const timestamp = nextMigrationTimestamp(tree, Date.now());
  const topologies = planTopologies(tree, module);
  const deployment = planDeployment(tree);
  const writes = [
    planPathAliases(tree, module),
    planApplication(tree, module),
    planMigrationIndex(tree, module, timestamp),
    topologies.write,
  ];
  // 4. The files: four projects, the migration, the end-to-end spec; refused if a name made from
  //    the module's would meet one its code imports.
  refuseNameClashes(tree, module, createFiles(tree, module, timestamp));
  // 5. The registrations.
  writes.forEach((write) => write());
  // 6. The split's deployment follows the placement (read from the code now in the tree).
  const deployed = deployment.apply();
  await formatFiles(tree);
  // 7. The report: printed on every run, since a generator cannot tell a dry run.
  report(module, topologies.placements, deployed);
}

function report(module: ReturnType<typeof normalizeOptions>, placements: { file: string; changes: string[] }[], deployed: string[]): void {
  const name = module.name.fileName;
  logger.info(
    `Module ${name}: entity ${module.entity.className}, schema ${module.schema}, fields ${module.fields.map((f) => f.name).join(', ')}${module.jobs ? ', with jobs' : ''}`,
  );
  logger.info(`  HTTP: POST /api/${name}, GET /api/${name}/:id, GET /api/${name}?limit=&offset=`);
  for (const { file, changes } of placements) {
    logger.info(`  ${file}: ${changes.length ? changes.join('; ') : `already covered (placed with ${module.placeWith})`}`);
  }
  if (deployed.length > 0) logger.info(`  deployment (split): ${deployed.join(', ')}`);
}

export default moduleGenerator;
