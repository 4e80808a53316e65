import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstBlockedFolder } from '../../src/database/embedded-postgres-access';

describe('firstBlockedFolder', () => {
  const root = mkdtempSync(join(tmpdir(), 'cw-access-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // A user who owns nothing here and is in no group of these folders: only the "other" bits count.
  const stranger = { name: 'stranger', uid: 54321, gids: [54321] };

  it('finds the first folder on the way that the user cannot enter', () => {
    const home = join(root, 'home');
    mkdirSync(join(home, 'project', 'node_modules'), { recursive: true });
    chmodSync(home, 0o700);
    expect(firstBlockedFolder(join(home, 'project', 'node_modules'), stranger)).toEqual({ folder: home, mode: '0700' });
    chmodSync(home, 0o711);
    expect(firstBlockedFolder(join(home, 'project', 'node_modules'), stranger)).toBeNull();
  });

  it('skips folders that do not exist yet (they are created and handed over)', () => {
    expect(firstBlockedFolder(join(root, 'not', 'yet', 'there'), stranger)).toBeNull();
  });

  it('uses the owner bits for the owner and the group bits for a member', () => {
    const own = join(root, 'own');
    mkdirSync(own);
    chmodSync(own, 0o700);
    const me = { name: 'me', uid: process.getuid?.() ?? 0, gids: [] };
    expect(firstBlockedFolder(own, me)).toBeNull();
    chmodSync(own, 0o070);
    const member = { name: 'member', uid: 54321, gids: [process.getgid?.() ?? 0] };
    expect(firstBlockedFolder(own, member)).toBeNull();
    expect(firstBlockedFolder(own, stranger)).toEqual({ folder: own, mode: '0070' });
  });
});
