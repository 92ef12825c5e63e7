import { logger, type Tree } from '@nx/devkit';
import { merge, type MergeOptions } from '../../lib/relocate';

/**
 * `nx g @strata/generators:merge <unit>`: puts a unit's tiers back, into `--into` or each into the
 * unit hosting the same tier of the other modules; the exact inverse of extract (a last API unit
 * takes the public port 3000 back when it is free). Prints the
 * impact report on every run (Nx strips `--dry-run` from the options).
 */
export async function mergeGenerator(tree: Tree, options: MergeOptions): Promise<void> {
  const { text } = merge(tree, options);
  logger.info(text);
}

export default mergeGenerator;
