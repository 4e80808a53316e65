import { Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { DigestOptOutsRepository } from './digest-opt-outs.repository';
import { UnsubscribeLinks } from './delivery/unsubscribe-links';
import { UnsubscribePageState, renderUnsubscribePage } from './unsubscribe-page';

/**
 * The digest's unsubscribe link (List-Unsubscribe). The signed token is the credential,
 * as for acknowledge links. GET asks; POST (the page's button, or a mail client's
 * one-click unsubscribe) stops the recipient's digest, and doing it again changes nothing.
 */
@ApiExcludeController()
@Public()
@Controller('unsubscribe')
export class UnsubscribeController {
  constructor(
    private readonly links: UnsubscribeLinks,
    private readonly optOuts: DigestOptOutsRepository,
  ) {}

  @Get(':token')
  async confirm(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const check = await this.links.verify(token);
    if (!check.ok) return this.page(res, { kind: check.reason }, check.reason === 'expired' ? 410 : 400);
    this.page(res, { kind: 'confirm', token, recipient: check.claim }, 200);
  }

  @Post(':token')
  async unsubscribe(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const check = await this.links.verify(token);
    if (!check.ok) return this.page(res, { kind: check.reason }, check.reason === 'expired' ? 410 : 400);
    await this.optOuts.add(check.claim);
    this.page(res, { kind: 'done', recipient: check.claim }, 200);
  }

  private page(res: Response, state: UnsubscribePageState, status: number): void {
    res
      .status(status)
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
      .send(renderUnsubscribePage(state));
  }
}
