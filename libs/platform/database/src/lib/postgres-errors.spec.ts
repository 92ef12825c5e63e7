import { QueryFailedError } from 'typeorm';
import { isDeadlock, retryOnDeadlock } from './postgres-errors';

/** A `pg` error as the driver raises it, with PostgreSQL's SQLSTATE. */
const pgError = (code: string) => Object.assign(new Error(`SQLSTATE ${code}`), { code });

describe('retryOnDeadlock', () => {
  it('runs the work again when PostgreSQL chose it as a deadlock victim, and answers what it then answers', async () => {
    const work = jest.fn().mockRejectedValueOnce(pgError('40P01')).mockResolvedValueOnce('done');

    await expect(retryOnDeadlock(work)).resolves.toBe('done');
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('recognises a deadlock wrapped by TypeORM as well as a bare pg error', () => {
    expect(isDeadlock(new QueryFailedError('UPDATE …', [], pgError('40P01')))).toBe(true);
    expect(isDeadlock(pgError('40P01'))).toBe(true);
    expect(isDeadlock(pgError('23505'))).toBe(false);
    expect(isDeadlock(undefined)).toBe(false);
  });

  it('gives up after the attempts allowed, with the last deadlock', async () => {
    const work = jest.fn().mockRejectedValue(pgError('40P01'));

    await expect(retryOnDeadlock(work, 3)).rejects.toMatchObject({ code: '40P01' });
    expect(work).toHaveBeenCalledTimes(3);
  });

  it('never runs again work that failed otherwise', async () => {
    const work = jest.fn().mockRejectedValue(pgError('23514'));

    await expect(retryOnDeadlock(work)).rejects.toMatchObject({ code: '23514' });
    expect(work).toHaveBeenCalledTimes(1);
  });
});
