import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { pgPool } from '../database/data-source';

/** digest_opt_outs: managers who stopped their daily digest with its unsubscribe link. */
@Injectable()
export class DigestOptOutsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Stops `recipient`'s digest; doing it again changes nothing. */
  async add(recipient: string): Promise<void> {
    await pgPool(this.dataSource).query(`INSERT INTO digest_opt_outs (recipient) VALUES ($1) ON CONFLICT (recipient) DO NOTHING`, [
      recipient,
    ]);
  }

  /** Newest first. One row per manager who ever unsubscribed: a few hundred at most, so no paging. */
  async list(): Promise<Array<{ recipient: string; optedOutAt: string }>> {
    const { rows } = await pgPool(this.dataSource).query<{ recipient: string; at: Date }>(
      `SELECT recipient, opted_out_at AS at FROM digest_opt_outs ORDER BY opted_out_at DESC, recipient LIMIT 10000`,
    );
    return rows.map((r) => ({ recipient: r.recipient, optedOutAt: r.at.toISOString() }));
  }

  /** Turns the digest back on; false when it was not stopped. */
  async remove(recipient: string): Promise<boolean> {
    const { rowCount } = await pgPool(this.dataSource).query(`DELETE FROM digest_opt_outs WHERE recipient = $1`, [recipient]);
    return (rowCount ?? 0) > 0;
  }
}
