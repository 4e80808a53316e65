import { Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { DomainError } from '../common/domain-error';
import { AckPageState, renderAckPage } from './ack-page';
import { AlertView } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { AckLinks } from './delivery/ack-links';

/**
 * The signed link in alert emails. The token is the credential (no API key: the reader
 * is on a phone in a mail client). Mail scanners fetch GET links, so GET only shows a
 * confirmation page; the page's button POSTs, and only that acknowledges. A link works
 * once: the second use says when it was acknowledged.
 */
@ApiExcludeController()
@Public()
@Controller('ack')
export class AckController {
  constructor(
    private readonly links: AckLinks,
    private readonly alerts: AlertsService,
  ) {}

  @Get(':token')
  async confirm(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const found = await this.resolve(token);
    if ('kind' in found) return this.page(res, found);
    const a = found.alert;
    const finished = finishedState(a);
    if (finished) return this.page(res, finished, 409);
    this.page(
      res,
      { kind: 'confirm', token, customerName: a.customerName, tier: a.tier, probability: a.probability, raisedAt: new Date(a.raisedAt) },
      200,
    );
  }

  @Post(':token')
  async acknowledge(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const found = await this.resolve(token);
    if ('kind' in found) return this.page(res, found);
    const a = found.alert;
    const finished = finishedState(a);
    if (finished) return this.page(res, finished, 409);
    const acknowledged = await this.alerts.acknowledge(a.id, 'email link', null).catch((err: unknown) => {
      // Closed by a run or an outcome in the meantime.
      if (err instanceof DomainError && err.code === 'conflict') return null;
      throw err;
    });
    if (!acknowledged) return this.page(res, { kind: 'closed', customerName: a.customerName }, 409);
    const { alert, changed } = acknowledged;
    const at = new Date(alert.acknowledgedAt as string);
    if (!changed) return this.page(res, { kind: 'already', customerName: a.customerName, acknowledgedAt: at }, 409);
    this.page(res, { kind: 'done', customerName: a.customerName, acknowledgedAt: at }, 200);
  }

  private async resolve(token: string): Promise<{ alert: AlertView } | (AckPageState & { status: number })> {
    const check = await this.links.verify(token);
    if (!check.ok) return check.reason === 'expired' ? { kind: 'expired', status: 410 } : { kind: 'invalid', status: 400 };
    try {
      return { alert: await this.alerts.get(check.alertId, null) };
    } catch (err) {
      if (err instanceof DomainError && err.code === 'not_found') return { kind: 'not_found', status: 404 };
      throw err;
    }
  }

  private page(res: Response, state: AckPageState & { status?: number }, status = state.status ?? 200): void {
    const { status: _ignored, ...pageState } = state;
    res
      .status(status)
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
      .send(renderAckPage(pageState as AckPageState));
  }
}

/** Nothing left to acknowledge: acknowledged before (then maybe closed by an outcome) says when; closed otherwise says so. */
function finishedState(a: AlertView): AckPageState | null {
  if (a.acknowledgedAt) return { kind: 'already', customerName: a.customerName, acknowledgedAt: new Date(a.acknowledgedAt) };
  if (a.status === 'closed') return { kind: 'closed', customerName: a.customerName };
  return null;
}
