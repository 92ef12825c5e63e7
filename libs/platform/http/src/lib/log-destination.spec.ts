import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { bufferedDestination } from './log-destination';

const LINE = `${JSON.stringify({ level: 30, msg: 'request completed', url: '/api/products/0ef2c0ec-1b91-4fa7-a1eb-abc083ffa06e' })}\n`;

describe('bufferedDestination', () => {
  let dir: string;
  let file: string;
  let destination: ReturnType<typeof bufferedDestination>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-log-'));
    file = join(dir, 'unit.log');
    destination = bufferedDestination(openSync(file, 'a'));
  });

  afterEach(async () => {
    destination.destroy(); // closes fd
    await once(destination, 'close');
    rmSync(dir, { recursive: true, force: true });
  });

  const written = () => readFileSync(file, 'utf8');

  it('holds a line back, and writes it within about 100 ms', async () => {
    destination.write(LINE);
    expect(written()).toBe('');

    await sleep(300);
    expect(written()).toBe(LINE);
  });

  it('writes a full chunk in the logging call that fills it, not later from a thread', () => {
    const lines = Math.ceil(4096 / LINE.length) + 1;
    for (let line = 0; line < lines; line++) destination.write(LINE);

    // Written before this test's code gives the event loop a turn: no write is left in flight.
    expect(written().length).toBeGreaterThanOrEqual(4096);
    expect(written()).toBe(LINE.repeat(written().length / LINE.length));
  });
});

describe('bufferedDestination when the process exits', () => {
  const run = promisify(execFile);
  const destinationModule = join(__dirname, 'log-destination.ts');

  /** A process that buffers a line on its standard output and then ends as `ending` says. */
  async function outputOf(ending: string): Promise<string> {
    const program = `
      const { bufferedDestination } = require(${JSON.stringify(destinationModule)});
      bufferedDestination(1).write('the last line\\n');
      ${ending}`;
    const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', '-e', program]).catch(
      (failed: { stdout: string }) => failed,
    );
    return stdout;
  }

  it.each([
    ['process.exit', 'process.exit(3)'],
    ['the end of its work', ''],
    ['an uncaught exception', "setImmediate(() => { throw new Error('crash'); })"],
  ])(
    'writes what is still buffered, on %s',
    async (_ending, ending) => {
      expect(await outputOf(ending)).toBe('the last line\n');
    },
    20_000,
  );
});
