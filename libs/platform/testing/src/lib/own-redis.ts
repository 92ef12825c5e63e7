import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A Redis of a test's own, a `redis-server` on the given port with nothing saved, that the test
 * can kill and start again: Redis stopping as a real one does, refusing connections until it is
 * back (a proxy in front of a shared Redis cannot be stopped the same way).
 */
export class OwnRedis {
  private process?: ChildProcess;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        if (/Ready to accept connections/.test(chunk.toString())) resolve();
      });
    });
  }

  /** Stops it at once (SIGKILL), as a crash does. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}
