import { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

const SHUTDOWN_GRACE_MS = 30_000;

/**
 * SIGTERM/SIGINT: stop accepting requests, let in-flight ones finish, close the pool and
 * the embedded database, exit 0. Nest's own hooks re-raise the signal (exit code 143),
 * which supervisors read as a crash.
 */
export function stopOnSignals(app: INestApplicationContext): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.get(Logger).log(`${signal} received: draining and shutting down`);
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`churnwatch: shutdown failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
