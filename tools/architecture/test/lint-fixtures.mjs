/**
 * Lints fixture sources with the workspace's own ESLint config (the real `eslint.config.mjs`,
 * found by ESLint from `cwd` as `nx lint` finds it) and prints the messages of each as JSON.
 *
 * Input (stdin): `{ "workspaceRoot": string, "fixtures": [{ "filePath": string, "code": string }] }`.
 * Output (stdout): `[{ "filePath": string, "messages": Linter.LintMessage[] }]`, in input order.
 *
 * module-boundaries.spec.ts runs this in a child process because ESLint loads `eslint.config.mjs`
 * with a dynamic `import()`, which Jest's module sandbox refuses without --experimental-vm-modules.
 *
 * The fixtures exist only as text: `lintText` attributes a virtual file path to the project whose
 * root contains it, which is all `@nx/enforce-module-boundaries` needs. Because TypeScript's project
 * service cannot type-check a file that is not on disk, type-aware parsing is switched off and only
 * the boundary rule is run (`ruleFilter`), so no rule that needs type information is reached.
 */
import { readCachedProjectGraph, createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';
import { text } from 'node:stream/consumers';

const BOUNDARY_RULE = '@nx/enforce-module-boundaries';

const { workspaceRoot, fixtures } = JSON.parse(await text(process.stdin));

// The rule reads the cached project graph and skips itself, with a mere warning, when there is
// none (a fresh clone running Jest directly). `nx run` has always written one by now.
try {
  readCachedProjectGraph();
} catch {
  await createProjectGraphAsync({ exitOnError: false });
}

const eslint = new ESLint({
  cwd: workspaceRoot,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
  },
  ruleFilter: ({ ruleId }) => ruleId === BOUNDARY_RULE,
});

const results = [];
for (const { filePath, code } of fixtures) {
  const [result] = await eslint.lintText(code, { filePath });
  results.push({ filePath, messages: result.messages });
}
process.stdout.write(JSON.stringify(results));
