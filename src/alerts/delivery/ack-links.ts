import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { signAckToken, verifyAckToken } from '../ack-token';

const SECRET_NAME = 'ack-link-hmac';

/**
 * Signed acknowledge links. The key is CHURNWATCH_ACK_SECRET, or else one generated on
 * first use and kept in Postgres, so every process (and a restarted one) signs and checks
 * links alike without anyone having to configure a secret.
 */
@Injectable()
export class AckLinks {
  private secret: Promise<string> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async url(alertId: number, now = new Date()): Promise<string> {
    const expires = new Date(now.getTime() + this.config.email.ackLinkTtlHours * 3_600_000);
    return `${this.config.email.publicUrl.replace(/\/$/, '')}/ack/${signAckToken(alertId, expires, await this.key())}`;
  }

  async verify(token: string, now = new Date()): Promise<ReturnType<typeof verifyAckToken>> {
    return verifyAckToken(token, await this.key(), now);
  }

  private key(): Promise<string> {
    if (this.config.email.ackSecret) return Promise.resolve(this.config.email.ackSecret);
    this.secret ??= this.loadKey().catch((err: unknown) => {
      this.secret = null;
      throw err;
    });
    return this.secret;
  }

  private async loadKey(): Promise<string> {
    await this.dataSource.query(`INSERT INTO service_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      SECRET_NAME,
      randomBytes(32).toString('hex'),
    ]);
    const rows: Array<{ value: string }> = await this.dataSource.query(`SELECT value FROM service_secrets WHERE name = $1`, [SECRET_NAME]);
    return (rows[0] as { value: string }).value;
  }
}
