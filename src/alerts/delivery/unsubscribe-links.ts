import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { signToken, verifyToken, type TokenCheck } from '../../common/signed-token';
import { AckLinks } from './ack-links';

/** Signed for this use only: an acknowledge token never passes as one, nor the reverse. */
const PURPOSE = 'digest-unsubscribe:';
/** A digest may sit in an inbox for months; its link keeps working for a year. */
const TTL_MS = 365 * 86_400_000;
/** The claim is the address in base64url (a signed claim cannot hold the dots of a domain). */
const ENCODED_RECIPIENT = /^[A-Za-z0-9_-]{4,200}$/;
/** Tokens past this length are refused by verifyToken: such an address gets no link (none is that long in practice). */
const MAX_TOKEN = 256;

/**
 * The digest's one-click unsubscribe links (RFC 8058), signed with the acknowledge links'
 * key: the claim is the recipient's address, so no table of tokens is kept.
 */
@Injectable()
export class UnsubscribeLinks {
  constructor(
    private readonly config: AppConfig,
    private readonly ackLinks: AckLinks,
  ) {}

  /** The link for `recipient`, or null for an address too long to sign into a link. */
  async url(recipient: string, now = new Date()): Promise<string | null> {
    const claim = Buffer.from(recipient, 'utf8').toString('base64url');
    const token = signToken(claim, new Date(now.getTime() + TTL_MS), await this.key(), PURPOSE);
    if (token.length > MAX_TOKEN || !ENCODED_RECIPIENT.test(claim)) return null;
    return `${this.config.email.publicUrl.replace(/\/$/, '')}/unsubscribe/${token}`;
  }

  /** On success `claim` is the recipient's address, decoded. */
  async verify(token: string, now = new Date()): Promise<TokenCheck> {
    const check = verifyToken(token, await this.key(), now, PURPOSE, ENCODED_RECIPIENT);
    return check.ok ? { ...check, claim: Buffer.from(check.claim, 'base64url').toString('utf8') } : check;
  }

  private key(): Promise<string> {
    return this.ackLinks.key();
  }
}
