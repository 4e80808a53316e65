import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * A named random secret, generated on first use and kept in Postgres (service_secrets), so
 * every process, and a restarted one, signs and checks alike without anyone configuring a
 * key. Each use has its own name, so replacing one row rotates that secret alone (processes
 * read it once: restart them after a rotation).
 */
export class StoredSecret {
  private value: Promise<string> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly name: string,
  ) {}

  get(): Promise<string> {
    this.value ??= this.load().catch((err: unknown) => {
      this.value = null; // a database hiccup must not poison the cache
      throw err;
    });
    return this.value;
  }

  private async load(): Promise<string> {
    await this.dataSource.query(`INSERT INTO service_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      this.name,
      randomBytes(32).toString('hex'),
    ]);
    const rows: Array<{ value: string }> = await this.dataSource.query(`SELECT value FROM service_secrets WHERE name = $1`, [this.name]);
    return (rows[0] as { value: string }).value;
  }
}
