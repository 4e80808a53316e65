import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { RedisUnavailableError } from './redis.module';

/** A redis-server this process started for itself, stopped with it. */
export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** The Redis that would be used otherwise; a private one starts only if it does not answer. */
  url: string;
  /** Working folder of the private server (it keeps nothing on disk). */
  dir: string;
  /** Where to look for redis-server (default: PATH). */
  path?: string;
}

/**
 * The demo's zero-setup Redis, as the embedded PostgreSQL is its zero-setup database: when
 * nothing answers at the configured URL, a redis-server from the PATH (Debian's
 * `redis-server` package) is started on a free loopback port under `dir` and stopped when
 * this process exits. Null when the configured Redis answers. Without a redis-server the
 * error is one line naming the package.
 */
export async function ensurePrivateRedis(options: PrivateRedisOptions): Promise<PrivateRedis | null> {
  const target = new URL(options.url);
  if (await answers(target.hostname, Number(target.port || 6379))) return null;
  const program = findProgram('redis-server', options.path ?? process.env.PATH ?? '');
  if (!program) {
    throw new RedisUnavailableError(
      `Redis is not answering at ${target.host} and redis-server is not installed: install it ` +
        `(apt-get install redis-server) or set REDIS_URL to a reachable Redis.`,
    );
  }
  mkdirSync(options.dir, { recursive: true });
  const port = await freeLoopbackPort();
  const child = spawn(
    program,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', options.dir, '--daemonize', 'no'],
    // Its own process group: Ctrl-C reaches the service, which closes its queues first and then stops this.
    { detached: true, stdio: 'ignore' },
  );
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  if (!(await waitUntilAnswers(port, child))) {
    child.kill('SIGKILL');
    throw new RedisUnavailableError(
      `The private redis-server (${program}) did not start on 127.0.0.1:${port}; set REDIS_URL to a reachable Redis.`,
    );
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function findProgram(name: string, path: string): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
    socket.connect(port, host);
  });
}

async function waitUntilAnswers(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) return false;
    if (await answers('127.0.0.1', port)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
