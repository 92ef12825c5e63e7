import { createTree } from '@nx/devkit/testing';
import type { Tree } from '@nx/devkit';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const workspaceRoot = join(__dirname, '../../../../..');

/**
 * A Tree holding the real workspace files the module generator reads and edits (registrations,
 * migrations, topologies, the modules' code it reads the port graph from, the deployment files,
 * every project.json), as they are on disk now.
 */
export function workspaceTree(): Tree {
  const tree = createTree();
  const copy = (path: string) => tree.write(path, readFileSync(join(workspaceRoot, path)));
  const walk = (dir: string, keep: (path: string) => boolean) => {
    for (const entry of readdirSync(join(workspaceRoot, dir))) {
      const path = `${dir}/${entry}`;
      if (statSync(join(workspaceRoot, path)).isDirectory()) walk(path, keep);
      else if (keep(path)) copy(path);
    }
  };
  ['tsconfig.base.json', 'nx.json', 'package.json', '.prettierrc', 'apps/server/src/application.ts', 'apps/server/project.json'].forEach(
    copy,
  );
  walk('migrations', () => true);
  walk('topologies', () => true);
  walk('tools/generators', (path) => path.endsWith('project.json'));
  walk('libs', (path) => !path.includes('/node_modules/'));
  walk('docker', () => true);
  return tree;
}

/** Every file of the tree and its content, to show that a refusal changed nothing. */
export function contentsOf(tree: Tree): Map<string, string> {
  const contents = new Map<string, string>();
  const walk = (dir: string) =>
    tree.children(dir).forEach((child) => {
      const path = dir ? `${dir}/${child}` : child;
      if (tree.isFile(path)) contents.set(path, tree.read(path, 'utf-8') ?? '');
      else walk(path);
    });
  walk('');
  return contents;
}
