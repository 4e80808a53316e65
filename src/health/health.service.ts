import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { connectionOptions } from '../database/data-source';

export interface Readiness {
  /** draining: shutting down (SIGTERM), still answering while a load balancer moves away. */
  status: 'ready' | 'unavailable' | 'draining';
  checks: { postgres: 'up' | 'down'; redis: 'up' | 'down' };
}

const CHECK_TIMEOUT_MS = 2000;

/**
 * Readiness asks Postgres over a connection of its own, opened on the first check and
 * kept: through the shared pool the check would queue behind every busy request and
 * report a saturated pool (or a long merge) as a database that is down.
 */
@Injectable()
export class HealthService implements OnApplicationShutdown {
  private client: Promise<Client> | null = null;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: Redis,
  ) {}

  private draining = false;

  /** From now on readiness answers 503 (draining), whatever the dependencies say. */
  startDraining(): void {
    this.draining = true;
  }

  async readiness(): Promise<Readiness> {
    const [postgres, redis] = await Promise.all([probe(() => this.pingPostgres()), probe(() => this.redis.ping())]);
    const status = this.draining ? 'draining' : postgres === 'up' && redis === 'up' ? 'ready' : 'unavailable';
    return { status, checks: { postgres, redis } };
  }

  private async pingPostgres(): Promise<void> {
    const kept = this.client !== null;
    try {
      await this.ping();
    } catch (err) {
      // A kept connection may have been closed since the last check (server restart,
      // idle timeout): only a fresh one failing says the database is down.
      if (!kept) throw err;
      await this.ping();
    }
  }

  private async ping(): Promise<void> {
    const pending = (this.client ??= this.connect());
    try {
      await (await pending).query('SELECT 1');
    } catch (err) {
      this.drop(pending); // replaced at the next try
      throw err;
    }
  }

  private connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error('shutting down'));
    const client = new Client({
      ...connectionOptions(this.dataSource),
      application_name: 'churnwatch-health',
      connectionTimeoutMillis: CHECK_TIMEOUT_MS,
      // A check stuck on a dead server must not pile up on this one connection.
      query_timeout: CHECK_TIMEOUT_MS,
    });
    const pending = client.connect().then(() => client);
    client.on('error', () => this.drop(pending)); // the server went away between checks
    return pending;
  }

  private drop(pending: Promise<Client> | null): void {
    if (!pending || this.client !== pending) return;
    this.client = null;
    pending.then((c) => c.end()).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const pending = this.client;
    this.client = null;
    await pending?.then((c) => c.end()).catch(() => undefined);
  }
}

async function probe(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
