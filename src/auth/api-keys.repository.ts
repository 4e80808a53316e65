import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Principal, Role } from './roles';

interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  email: string | null;
}

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(key: { name: string; role: Role; email: string | null; hash: string; prefix: string }): Promise<string> {
    const rows: { id: string }[] = await this.dataSource.query(
      `INSERT INTO api_keys (name, role, email, key_hash, key_prefix) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL RETURNING id`,
      [key.name, key.role, key.email, key.hash, key.prefix],
    );
    return rows[0].id;
  }

  async findActiveByHash(hash: string): Promise<Principal | null> {
    const rows: ApiKeyRow[] = await this.dataSource.query(
      `SELECT id, name, role, email FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const row = rows[0];
    return row ? { keyId: row.id, name: row.name, role: row.role, email: row.email } : null;
  }

  /** A key by id while it is not revoked (the queue view's session cookie names the key by id). */
  async findActiveById(id: string): Promise<Principal | null> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
    const rows: ApiKeyRow[] = await this.dataSource.query(
      `SELECT id, name, role, email FROM api_keys WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    const row = rows[0];
    return row ? { keyId: row.id, name: row.name, role: row.role, email: row.email } : null;
  }

  async touch(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [id]);
  }
}
