import { ConfigurationError } from '@strata/platform/config';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { firstFolderClosedToOthers, startEmbeddedPostgres } from './embedded-postgres';

describe('the embedded PostgreSQL in a folder its own user cannot enter', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-private-')); // mode 0700, as `mktemp -d` makes it
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the first folder on the way that others cannot enter', () => {
    mkdirSync(join(root, 'clone/.data'), { recursive: true });
    chmodSync(root, 0o700);

    expect(firstFolderClosedToOthers([join(root, 'clone/.data/postgres')])).toBe(root);
    chmodSync(root, 0o755);
    expect(firstFolderClosedToOthers([join(root, 'clone/.data/postgres')])).toBeUndefined();
  });

  it('as root, stops with one message naming the folder and DATABASE_URL, instead of an EACCES from initdb', async () => {
    const start = startEmbeddedPostgres({ dataDir: join(root, 'data'), port: 1 });

    if (userInfo().uid === 0) {
      await expect(start).rejects.toBeInstanceOf(ConfigurationError);
      await expect(start).rejects.toThrow(`as root it runs as the user postgres, who cannot enter ${root}. Set DATABASE_URL`);
    } else {
      // Not root: PostgreSQL runs as this user, who owns the folder; there is nothing to refuse,
      // and port 1 cannot be bound, so the start fails later for that reason instead.
      await expect(start).rejects.not.toBeInstanceOf(ConfigurationError);
    }
  });
});
