import { Injectable } from '@nestjs/common';
import type { CookieOptions } from 'express';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { QueueSessionCheck, signQueueSession, verifyQueueSession } from './queue-session-token';
import { StoredSecret } from '../database/stored-secret';

export const QUEUE_VIEW_PATH = '/admin/queues';
export const QUEUE_SESSION_COOKIE = 'cw_queue_session';
/** Its own secret: rotating the acknowledge-link key leaves queue sessions alone, and the reverse. */
const SECRET_NAME = 'queue-session-hmac';

/**
 * Sessions for the queue view. bull-board's page calls its own JSON API from the browser,
 * which cannot add our Authorization header, so an admin exchanges its key for a short-lived
 * signed cookie that only /admin/queues ever receives.
 */
@Injectable()
export class QueueSessions {
  private readonly secret: StoredSecret;

  constructor(
    private readonly config: AppConfig,
    dataSource: DataSource,
  ) {
    this.secret = new StoredSecret(dataSource, SECRET_NAME);
  }

  /** The cookie value for this key and how it is to be set. */
  async issue(keyId: string, now = new Date()): Promise<{ value: string; options: CookieOptions }> {
    const ttlSeconds = this.config.http.queueView.sessionTtlSeconds;
    const value = signQueueSession(keyId, new Date(now.getTime() + ttlSeconds * 1000), await this.secret.get());
    const options: CookieOptions = {
      httpOnly: true,
      sameSite: 'strict',
      path: QUEUE_VIEW_PATH,
      maxAge: ttlSeconds * 1000,
      // Behind https (as the public URL says), the cookie never travels in clear text.
      secure: this.config.email.publicUrl.startsWith('https:'),
    };
    return { value, options };
  }

  async verify(token: string, now = new Date()): Promise<QueueSessionCheck> {
    return verifyQueueSession(token, await this.secret.get(), now);
  }
}
