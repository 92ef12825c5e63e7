import { ConfigurationError } from '@strata/platform/config';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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

  it("does not count the cluster's own data folder, 0700 and its user's, as closed: npm start a second time starts", () => {
    chmodSync(root, 0o755);
    const dataDir = join(root, 'clone/.data/postgres');
    mkdirSync(join(root, 'clone/.data'), { recursive: true });
    mkdirSync(dataDir, { mode: 0o700 });
    // As root, the embedded PostgreSQL's own user owns its data folder after the first start.
    if (userInfo().uid === 0) chownSync(dataDir, 12345, 12345);

    expect(firstFolderClosedToOthers([dataDir])).toBeUndefined();
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
