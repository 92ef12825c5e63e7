import { backendErrorLog } from './backend-errors';

describe('backendErrorLog', () => {
  afterEach(() => jest.useRealTimers());

  it('writes the first error at once, then at most one line per interval saying how many it left out', () => {
    jest.useFakeTimers({ now: 0 });
    const lines: Record<string, unknown>[] = [];
    const log = backendErrorLog((fields) => lines.push(fields), 30_000);

    log({ err: 'connect ECONNREFUSED' }); // t = 0
    for (let attempt = 1; attempt <= 80; attempt++) {
      jest.advanceTimersByTime(500); // t = 0.5 s … 40 s: written at 30 s, after 59 left out
      log({ err: 'connect ECONNREFUSED' });
    }
    jest.advanceTimersByTime(30_000); // t = 70 s, after 20 more left out
    log({ err: 'connect ETIMEDOUT' });

    expect(lines).toEqual([
      { err: 'connect ECONNREFUSED' },
      { err: 'connect ECONNREFUSED', leftOut: 59 },
      { err: 'connect ETIMEDOUT', leftOut: 20 },
    ]);
  });
});
