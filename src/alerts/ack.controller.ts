import { Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { AckPageState, renderAckPage } from './ack-page';
import { AlertsService } from './alerts.service';
import { AckLinks } from './delivery/ack-links';

interface LinkedAlert {
  id: number;
  name: string;
  tier: string;
  probability: number;
  status: string;
  raised_at: Date;
  acknowledged_at: Date | null;
}

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
    private readonly dataSource: DataSource,
  ) {}

  @Get(':token')
  async confirm(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const found = await this.resolve(token);
    if ('kind' in found) return this.page(res, found);
    const a = found.alert;
    if (a.acknowledged_at) return this.page(res, { kind: 'already', customerName: a.name, acknowledgedAt: a.acknowledged_at }, 409);
    if (a.status === 'closed') return this.page(res, { kind: 'closed', customerName: a.name }, 409);
    this.page(res, { kind: 'confirm', token, customerName: a.name, tier: a.tier, probability: a.probability, raisedAt: a.raised_at }, 200);
  }

  @Post(':token')
  async acknowledge(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const found = await this.resolve(token);
    if ('kind' in found) return this.page(res, found);
    const a = found.alert;
    if (a.status === 'closed' && !a.acknowledged_at) return this.page(res, { kind: 'closed', customerName: a.name }, 409);
    const { alert, changed } = await this.alerts.acknowledge(a.id, 'email link', null);
    const at = new Date(alert.acknowledgedAt as string);
    if (!changed) return this.page(res, { kind: 'already', customerName: a.name, acknowledgedAt: at }, 409);
    this.page(res, { kind: 'done', customerName: a.name, acknowledgedAt: at }, 200);
  }

  private async resolve(token: string): Promise<{ alert: LinkedAlert } | (AckPageState & { status: number })> {
    const check = await this.links.verify(token);
    if (!check.ok) return check.reason === 'expired' ? { kind: 'expired', status: 410 } : { kind: 'invalid', status: 400 };
    const rows: LinkedAlert[] = await this.dataSource.query(
      `SELECT a.id::float8 AS id, c.name, a.tier, a.probability, a.status, a.raised_at, a.acknowledged_at
         FROM alerts a JOIN customers c ON c.id = a.customer_id WHERE a.id = $1`,
      [check.alertId],
    );
    return rows[0] ? { alert: rows[0] } : { kind: 'not_found', status: 404 };
  }

  private page(res: Response, state: AckPageState & { status?: number }, status = state.status ?? 200): void {
    const { status: _ignored, ...pageState } = state;
    res
      .status(status)
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
      .send(renderAckPage(pageState as AckPageState));
  }
}
