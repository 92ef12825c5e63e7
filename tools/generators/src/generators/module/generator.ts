import { formatFiles, logger, type Tree } from '@nx/devkit';
import { createFiles } from './lib/create-files';
import { planDeployment } from './lib/deployment';
import { normalizeOptions } from './lib/names';
import { nextMigrationTimestamp, planApplication, planMigrationIndex, planPathAliases } from './lib/register';
import { planTopologies } from './lib/topologies';
import { checkWorkspace } from './lib/workspace';
import type { ModuleGeneratorSchema } from './schema';

/**
 * `nx g @strata/generators:module <name>`: a business module across the tiers, registered
 * everywhere it must be. Everything is checked and every edit computed before the first write, so
 * a refusal (one line) leaves the workspace as it was; it only writes through the Tree, so
 * `--dry-run` writes nothing.
 */
export async function moduleGenerator(tree: Tree, options: ModuleGeneratorSchema): Promise<void> {
  // 1. Names, entity and fields: refused before anything is read.
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
  // 4. The files: four projects, the migration, the end-to-end spec.
  createFiles(tree, module, timestamp);
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
