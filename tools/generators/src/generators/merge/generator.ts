import type { Tree } from '@nx/devkit';

export async function mergeGenerator(_tree: Tree, _options: Record<string, unknown>): Promise<void> {
  throw new Error('merge: not implemented yet');
}

export default mergeGenerator;
