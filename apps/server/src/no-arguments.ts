/**
 * Refuses, before anything starts, arguments given to a program configured by its environment only:
 * `npm start -- --port=4000` would otherwise start on the default port as if it had been obeyed.
 */
export function refuseArguments(program: string, example: string): void {
  const args = process.argv.slice(2);
  if (args.length === 0) return;
  console.error(
    `${program} takes no arguments (got ${args.join(' ')}): it is configured by environment variables, ` +
      `e.g. ${example} (README, "Configuration")`,
  );
  process.exit(1);
}
