import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { connect, Socket } from 'node:net';
import { join } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import { AppConfig } from '../../config/app-config';
import { redactUrl } from '../../common/redact-url';

export interface OutgoingMail {
  from: string;
  to: string;
  cc: string[];
  subject: string;
  text: string;
  html: string;
  /** Fixed per delivery: a re-send after a crash carries the same one, so mail clients collapse the two. */
  messageId: string;
  headers: Record<string, string>;
}

/**
 * The one place nodemailer lives. With SMTP_URL: a pooled SMTP transport. Without: each
 * message is written as an .eml file named after its Message-ID (a re-send overwrites
 * the same file), for a fresh checkout and the demo.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private transporter: Transporter | null = null;

  constructor(private readonly config: AppConfig) {}

  /** Where .eml files go, or null when mail goes to an SMTP server. */
  get outboxDir(): string | null {
    return this.config.email.smtpUrl ? null : this.config.email.outboxDir;
  }

  /**
   * Sends one email; answers the recipients the server refused while it took the email
   * for the others (when it refuses all of them, send throws).
   */
  async send(mail: OutgoingMail): Promise<{ refused: string[] }> {
    const message = { ...mail, cc: mail.cc.length > 0 ? mail.cc : undefined };
    if (this.outboxDir) {
      const info = (await this.fileTransport().sendMail(message)) as unknown as { message: Buffer };
      await mkdir(this.outboxDir, { recursive: true });
      const name = `${mail.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_')}.eml`;
      const tmp = join(this.outboxDir, `.${name}.tmp`);
      await writeFile(tmp, info.message);
      await rename(tmp, join(this.outboxDir, name));
      return { refused: [] };
    }
    const info = (await this.smtp().sendMail(message)) as { rejected?: Array<string | { address: string }> };
    return { refused: (info.rejected ?? []).map((r) => (typeof r === 'string' ? r : r.address)) };
  }

  private fileTransport(): Transporter {
    this.transporter ??= nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    return this.transporter;
  }

  private smtp(): Transporter {
    if (!this.transporter) {
      const url = new URL(this.config.email.smtpUrl as string);
      const secure = url.protocol === 'smtps:';
      this.transporter = nodemailer.createTransport({
        host: url.hostname,
        port: url.port ? Number(url.port) : secure ? 465 : 587,
        secure,
        auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
        // Pooled connections: one SMTP handshake per connection rather than per message.
        pool: true,
        maxConnections: this.config.email.maxConnections,
        maxMessages: Infinity,
        getSocket: noDelaySocket,
      } as Parameters<typeof nodemailer.createTransport>[0]);
      this.logger.log(`Sending mail through ${redactUrl(this.config.email.smtpUrl as string)}`);
    }
    return this.transporter;
  }

  onApplicationShutdown(): void {
    this.transporter?.close();
  }
}

/**
 * nodemailer writes a message's final "." in its own small segment; with Nagle's algorithm
 * on, it waits for the server's delayed ACK of the previous one, about 40 ms per message
 * per connection (measured: 44 ms/message against 2 ms with TCP_NODELAY). So the pool
 * gets sockets opened here with Nagle off; nodemailer still does TLS on them for smtps.
 */
function noDelaySocket(
  options: { host: string; port: number },
  callback: (err: Error | null, socketOptions?: { connection: Socket }) => void,
): void {
  const socket = connect({ host: options.host, port: options.port, noDelay: true });
  const fail = (err: Error) => callback(err);
  socket.once('error', fail);
  socket.once('connect', () => {
    socket.off('error', fail);
    callback(null, { connection: socket });
  });
}
