import { logger, type Tree } from '@nx/devkit';
import { extract, type ExtractOptions } from '../../lib/relocate';

/**
 * `nx g @strata/generators:extract <module>`: moves a module's tiers (and workers) out of their
 * units into a new unit of a topology, editing configuration only (the topology; for `split`,
 * docker/compose.split.yaml and docker/k8s), and prints the impact report. When the result has
 * several API units, a unit on the public port 3000 moves to the next free port: 3000 is the
 * edge's. Nx strips `--dry-run` from the options, so the report prints on every run; nothing is
 * written before every check passed.
 */
export async function extractGenerator(tree: Tree, options: ExtractOptions): Promise<void> {
  const { text } = extract(tree, options);
  logger.info(text);
}

export default extractGenerator;
