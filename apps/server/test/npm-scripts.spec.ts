import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * npm passes a SIGTERM it gets on to the shell running the script, not to the shell's children:
 * a process manager (or a script's `kill $!`) stopping `npm start` stopped npm and left the server
 * running, with its embedded PostgreSQL. A script that `exec`s its program makes the program the
 * script's process, so the signal reaches it.
 */
const { scripts } = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { scripts: Record<string, string> };

describe("package.json's scripts", () => {
  const running = Object.entries(scripts).filter(([, command]) => /\bnode dist\//.test(command));

  it('include the programs users start (start, start:split, migrate, bench, chaos)', () => {
    expect(running.map(([name]) => name)).toEqual(expect.arrayContaining(['start', 'start:split', 'migrate', 'bench', 'chaos']));
  });

  it.each(running)('%s execs its program, so that a signal sent to npm reaches it', (_, command) => {
    expect(command).toMatch(/&& exec node dist\/[\w/.-]+\.js$/);
  });
});
