import { INestApplicationContext } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/** Past the drain, how long closing (in-flight requests, jobs, pools) may take before a forced exit. */
const SHUTDOWN_GRACE_MS = 30_000;

export interface StopOptions {
  /** Seconds readiness answers 503 before the port closes (http.shutdownDrainSeconds; 0 for workers). */
  drainSeconds: number;
  /** Turns readiness to 503 (the API's HealthService). */
  startDraining?: () => void;
}

/**
 * SIGTERM/SIGINT: readiness turns 503 while requests are still answered for the drain
 * window (a load balancer takes the process out of rotation without refusing anyone),
 * then stop accepting requests, let in-flight ones finish, close the pool and the embedded
 * database, exit 0. Nest's own hooks re-raise the signal (exit code 143), which
 * supervisors read as a crash.
 */
export function stopOnSignals(app: INestApplicationContext, options: StopOptions = { drainSeconds: 0 }): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const drainMs = options.drainSeconds * 1000;
    app.get(Logger).log(`${signal} received: draining for ${options.drainSeconds} s, then shutting down`);
    options.startDraining?.();
    setTimeout(() => process.exit(1), drainMs + SHUTDOWN_GRACE_MS).unref();
    new Promise((resolve) => setTimeout(resolve, drainMs))
      .then(() => app.close())
      .then(
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
