import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { StoredSecret } from '../../database/stored-secret';
import { signAckToken, verifyAckToken } from '../ack-token';

const ACK_SECRET_NAME = 'ack-link-hmac';

/**
 * Signed acknowledge links. The key is CHURNWATCH_ACK_SECRET, or else one generated on
 * first use and kept in Postgres, so every process (and a restarted one) signs and checks
 * links alike without anyone having to configure a secret.
 */
@Injectable()
export class AckLinks {
  private readonly secret: StoredSecret;

  constructor(
    private readonly config: AppConfig,
    dataSource: DataSource,
  ) {
    this.secret = new StoredSecret(dataSource, ACK_SECRET_NAME);
  }

  async url(alertId: number, now = new Date()): Promise<string> {
    const expires = new Date(now.getTime() + this.config.email.ackLinkTtlHours * 3_600_000);
    return `${this.config.email.publicUrl.replace(/\/$/, '')}/ack/${signAckToken(alertId, expires, await this.key())}`;
  }

  async verify(token: string, now = new Date()): Promise<ReturnType<typeof verifyAckToken>> {
    return verifyAckToken(token, await this.key(), now);
  }

  /** The key of every signed link in emails (acknowledge and unsubscribe). */
  key(): Promise<string> {
    return this.config.email.ackSecret ? Promise.resolve(this.config.email.ackSecret) : this.secret.get();
  }
}
