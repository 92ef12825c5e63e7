import type { Tree } from '@nx/devkit';

export async function moduleGenerator(_tree: Tree, _options: Record<string, unknown>): Promise<void> {
  throw new Error('module: not implemented yet');
}

export default moduleGenerator;
