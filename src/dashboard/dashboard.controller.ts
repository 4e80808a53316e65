import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { DomainError } from '../common/domain-error';
import { Asset, DashboardAssets } from './dashboard-assets';

/** Content-addressed asset URLs never change meaning, so browsers may keep them for good. */
const VERSIONED_CACHE = 'public, max-age=31536000, immutable';

/**
 * The web dashboard: GET / is the single page, GET /ui/... its scripts, styles and icon.
 * No API key here (the page asks for one and sends it with each API call). The page is
 * written for the strict Content-Security-Policy the service sends on every answer
 * (src/http/security-headers.ts): nothing inline, nothing from another origin.
 */
@ApiExcludeController()
@Public()
@Controller()
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  index(@Res() res: Response): void {
    send(res, this.assets.index(), 'no-cache');
  }

  @Get('ui/*path')
  asset(@Req() req: Request, @Res() res: Response): void {
    const found = this.assets.find(req.path.slice('/ui/'.length));
    if (!found) throw new DomainError('not_found', `No dashboard file ${req.path}`);
    // Unversioned URLs are revalidated (a cheap 304 by ETag) so they never serve old code.
    send(res, found.asset, found.versioned ? VERSIONED_CACHE : 'no-cache');
  }
}

function send(res: Response, asset: Asset, cacheControl: string): void {
  // Express answers 304 itself when If-None-Match matches the ETag set here.
  res
    .status(200)
    .set({ 'Content-Type': asset.contentType, 'Cache-Control': cacheControl, ETag: asset.etag, 'X-Content-Type-Options': 'nosniff' })
    .send(asset.body);
}
