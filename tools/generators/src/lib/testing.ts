import type { Tree } from '@nx/devkit';
import { createTree } from '@nx/devkit/testing';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of the workspace the generators read and write. */
const DIRS = ['apps/server/src', 'libs', 'migrations/src', 'topologies', 'docker'];

/** A virtual tree holding the real workspace's files (read from disk): what the specs run on. */
export function workspaceTree(root = join(__dirname, '../../../..')): Tree {
  const tree = createTree();
  const copy = (path: string) => {
    const absolute = join(root, path);
    if (statSync(absolute).isDirectory()) {
      for (const child of readdirSync(absolute)) if (child !== 'node_modules') copy(`${path}/${child}`);
    } else tree.write(path, readFileSync(absolute));
  };
  for (const dir of DIRS) copy(dir);
  return tree;
}

/** Every file of the tree and its content, to compare trees. */
export function snapshot(tree: Tree): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const child of tree.children(dir)) {
      const path = dir ? `${dir}/${child}` : child;
      if (!tree.isFile(path)) {
        walk(path);
        continue;
      }
      const content = tree.read(path, 'utf-8');
      if (content === null) throw new Error(`${path} is a file of the tree but could not be read`);
      files[path] = content;
    }
  };
  walk('');
  return files;
}
