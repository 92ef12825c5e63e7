import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';

/**
 * Business modules are the folders of libs/ other than platform. Reading them here means a module
 * added by the generator is covered by the scope rules below without editing this file.
 */
const modules = readdirSync(new URL('./libs', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'platform')
  .map((entry) => entry.name);

/**
 * The architecture, as lint rules (docs/architecture.md, "Dependency rules"). Every rule has a
 * fixture in tools/architecture that proves it fails when broken.
 */
const tierRules = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'type:presentation', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform'] },
  { sourceTag: 'type:business', onlyDependOnLibsWithTags: ['type:contracts', 'type:data-access', 'type:platform'] },
  { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:platform'] },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform'] },
  // The Nx plugin runs inside Nx, which may load it without the workspace's path aliases.
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: [] },
];

const moduleRules = modules.flatMap((module) => [
  // A module reaches another module only through that module's contracts.
  {
    sourceTag: `scope:${module}`,
    onlyDependOnLibsWithTags: [`scope:${module}`, 'scope:platform', 'type:contracts'],
  },
  // Data access sees no other module at all (contracts are already limited to platform above).
  {
    allSourceTags: [`scope:${module}`, 'type:data-access'],
    onlyDependOnLibsWithTags: [`scope:${module}`, 'scope:platform'],
  },
]);

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '.nx', 'coverage'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: false,
          allow: [],
          depConstraints: [...tierRules, ...moduleRules],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
