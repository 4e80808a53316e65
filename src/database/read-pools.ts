import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool, type QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { connectionOptions } from './data-source';
import { timeoutSetting } from './statement-timeouts';

/** Reads answered to a request: `page` (customer page, alert lists) and `report` (metrics summary). */
export type ReadKind = 'page' | 'report';

/**
 * The pools request reads run on, one per kind, each with its kind's statement timeout
 * (database.statementTimeouts) set for the whole session: a read that asks for more work
 * than its kind is allowed is cut off by Postgres (503 statement_timeout) instead of
 * running on after its client gave up. They are apart from the main pool, so reads never
 * queue behind ingestion merges or scoring statements holding its connections.
 */
@Injectable()
export class ReadPools implements OnApplicationShutdown {
  private readonly pools = new Map<ReadKind, Pool>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Opened on first use: only processes serving those reads connect them. */
  pool(kind: ReadKind): Pool {
    let pool = this.pools.get(kind);
    if (!pool) {
      pool = new Pool({
        ...connectionOptions(this.dataSource),
        max: this.config.database.readPoolSize,
        application_name: `churnwatch-${kind}-reads`,
        options: `-c statement_timeout=${timeoutSetting(this.config.database.statementTimeouts[kind])}`,
      });
      // An idle client losing its connection (a Postgres restart) must not crash the process.
      pool.on('error', () => undefined);
      this.pools.set(kind, pool);
    }
    return pool;
  }

  /** Rows of one statement on the kind's pool; `name` prepares it once per connection. Untyped rows by default, as DataSource.query's. */
  async query<T extends QueryResultRow = QueryResultRow>(
    kind: ReadKind,
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<T[]> {
    const { rows } = await this.pool(kind).query<T>(name ? { name, text, values } : { text, values });
    return rows;
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.end()));
  }
}
