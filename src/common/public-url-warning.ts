import type { AppConfig } from '../config/app-config';

/**
 * In production, acknowledge links still on the default public URL (http://localhost:<port>,
 * set when CHURNWATCH_PUBLIC_URL is not) reach no recipient: said loudly at start-up,
 * since nothing else fails and managers would only find dead links in their emails.
 */
export function defaultPublicUrlWarning(config: AppConfig, env: Record<string, string | undefined>): string | null {
  if (env.NODE_ENV !== 'production') return null;
  const fallback = `http://localhost:${config.http.port}`;
  if (config.email.publicUrl.replace(/\/+$/, '') !== fallback) return null;
  return (
    `WARNING: CHURNWATCH_PUBLIC_URL is not set: acknowledge links in alert emails point at the default ${fallback}, ` +
    'which the managers receiving them cannot open. Set CHURNWATCH_PUBLIC_URL (email.publicUrl) to the address they reach this service at.'
  );
}
