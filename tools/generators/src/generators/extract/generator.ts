import type { Tree } from '@nx/devkit';

export async function extractGenerator(_tree: Tree, _options: Record<string, unknown>): Promise<void> {
  throw new Error('extract: not implemented yet');
}

export default extractGenerator;
