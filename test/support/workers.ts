import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { TestApp } from './test-app';

// Worker processes are the built service (npm test builds first) in worker mode.
const MAIN = join(__dirname, '../../dist/src/main.js');

/** Worker processes of the built service on a test app's database and queues. */
export class WorkerProcesses {
  private readonly children: ChildProcess[] = [];

  constructor(
    private readonly t: () => TestApp,
    private readonly env: () => Record<string, string> = () => ({}),
  ) {}

  start(): ChildProcess {
    const t = this.t();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        CHURNWATCH_PROCESS: 'worker',
        CHURNWATCH_MIGRATE: 'false',
        DATABASE_URL: t.db.url,
        CHURNWATCH_QUEUE_PREFIX: t.config.queue.prefix,
        CHURNWATCH_OUTBOX_DIR: t.config.email.outboxDir,
        ...this.env(),
      },
      stdio: 'ignore',
    });
    this.children.push(child);
    return child;
  }

  /** SIGTERM to every one still running, and wait for them to exit. */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.children.splice(0).map(async (w) => {
        if (w.exitCode === null && w.signalCode === null) {
          w.kill('SIGTERM');
          await once(w, 'exit');
        }
      }),
    );
  }
}
