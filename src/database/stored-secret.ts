import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

/**
 * A named random value (a signing key, the database's instance id), generated on first use
 * and kept in Postgres (service_secrets), so every process, and a restarted one, sees the
 * same one without anyone configuring it. Each use has its own name, so replacing one row
 * rotates that value alone (processes read it once: restart them after a rotation).
 */
export class StoredSecret {
  private value: Promise<string> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly name: string,
    private readonly generate: () => string = () => randomBytes(32).toString('hex'),
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
      this.generate(),
    ]);
    const rows: Array<{ value: string }> = await this.dataSource.query(`SELECT value FROM service_secrets WHERE name = $1`, [this.name]);
    return (rows[0] as { value: string }).value;
  }
}
