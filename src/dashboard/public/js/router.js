// @ts-check
/**
 * Hash routes: "#/at-risk?tier=critical&sort=valueAtRisk", "#/customers/<externalId>".
 * Filters live in the hash so that reload and back keep them.
 */

/** @typedef {{ path: string, params: URLSearchParams }} Location */

/** @returns {Location | null} null for a hash that is not a route (e.g. "#main") */
export function currentLocation() {
  const hash = window.location.hash;
  if (hash === '' || hash === '#' || hash === '#/') return { path: '', params: new URLSearchParams() };
  if (!hash.startsWith('#/')) return null;
  const [path, search = ''] = hash.slice(1).split('?', 2);
  return { path: path.replace(/\/+$/, ''), params: new URLSearchParams(search) };
}

/**
 * The hash for a path and its parameters (empty ones left out).
 * @param {string} path
 * @param {Record<string, string | number | null | undefined>} [params]
 */
export function hashFor(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const search = q.toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

/**
 * Rewrites the current history entry's hash without a navigation (filter changes): back
 * then returns to the list as it was last filtered, not through every filter step.
 * @param {string} hash
 */
export function replaceHash(hash) {
  if (window.location.hash !== hash) window.history.replaceState(window.history.state, '', hash);
}

/** The page of one customer. @param {string} externalId */
export const customerHash = (externalId) => `#/customers/${encodeURIComponent(externalId)}`;
