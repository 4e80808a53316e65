import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { contentSecurityPolicy } from 'helmet';
import { AppConfig } from '../config/app-config';

type Directives = Record<string, string[]>;

/** Our own pages (the dashboard at /, JSON answers): nothing inline, nothing from elsewhere. */
export const STRICT_CSP: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

/**
 * Pages we do not write ourselves get only what they need, and only styles: Swagger UI
 * (/docs) and bull-board (/admin/queues) put <style> blocks and style attributes in their
 * HTML, and the acknowledge and unsubscribe pages (/ack/…, /unsubscribe/…) share the inline-styled building blocks of the
 * alert emails. Scripts stay 'self' everywhere.
 */
const INLINE_STYLES: Directives = { ...STRICT_CSP, 'style-src': ["'self'", "'unsafe-inline'"] };
const RELAXED: ReadonlyArray<[prefix: string, directives: Directives]> = [
  ['/docs', INLINE_STYLES],
  ['/admin/queues', INLINE_STYLES],
  ['/ack', INLINE_STYLES],
  ['/unsubscribe', INLINE_STYLES],
];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * helmet's headers on every answer, with the Content-Security-Policy chosen by path.
 * HSTS only when the service is reached over https (email.publicUrl): over plain http a
 * browser ignores it, and on a developer's https://localhost it would stick for a year.
 */
export function securityHeaders(config: AppConfig): RequestHandler[] {
  const https = config.email.publicUrl.startsWith('https:');
  const base = helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    xFrameOptions: { action: 'deny' }, // as frame-ancestors 'none'
  });
  const strict = contentSecurityPolicy({ useDefaults: false, directives: STRICT_CSP });
  const relaxed = RELAXED.map(([prefix, directives]) => [prefix, contentSecurityPolicy({ useDefaults: false, directives })] as const);
  const csp = (req: Request, res: Response, next: NextFunction) => {
    const match = relaxed.find(([prefix]) => under(req.path, prefix));
    (match ? match[1] : strict)(req, res, next);
  };
  return [base, csp];
}
