// @ts-check
/**
 * What every view gets (JSDoc types only; plus the page heading and error helpers).
 *
 * @typedef {{ name: string, minProbability: number }} Tier
 * @typedef {{
 *   tiers: Tier[],
 *   segmentThresholds: Record<string, Record<string, number>>,
 *   driverGroups: string[],
 *   features: Array<{ key: string, label: string, group: string }>,
 * }} Settings
 * @typedef {{
 *   root: HTMLElement,
 *   params: URLSearchParams,
 *   match: string[],
 *   me: import('./session.js').Me,
 *   settings: Settings,
 *   api: import('./api.js').Api,
 *   signal: AbortSignal,
 *   announce: (message: string) => void,
 *   setParams: (params: Record<string, string | number | null | undefined>) => void,
 * }} ViewContext
 */

import { ApiError } from './api.js';
import { h } from './dom.js';

/**
 * The page heading. Focus moves to it after each navigation so a screen reader starts
 * reading the new page and the next Tab goes into it.
 * @param {HTMLElement} root
 * @param {string} text
 */
export function pageHeading(root, text) {
  const heading = h('h1', { tabindex: '-1', id: 'page-heading' }, text);
  root.appendChild(heading);
  document.title = `${text} · churnwatch`;
  heading.focus();
  return heading;
}

/** What went wrong, in words. @param {unknown} err */
export function errorMessage(err) {
  if (err instanceof ApiError) {
    const fields = Array.isArray(err.body?.errors)
      ? err.body.errors.map((/** @type {{field?: string, message?: string}} */ e) => `${e.field ?? ''}: ${e.message ?? ''}`).join('; ')
      : '';
    if (err.status === 403) return 'Your key may not do this.';
    if (err.status === 404) return err.body?.message ?? 'Not found.';
    return fields ? `${err.message} (${fields})` : err.message;
  }
  if (err instanceof TypeError) return 'The service could not be reached. Check your connection and try again.';
  return err instanceof Error ? err.message : String(err);
}

/** An error block screen readers announce at once. @param {unknown} err */
export const errorPanel = (err) => h('div', { class: 'notice error', role: 'alert' }, errorMessage(err));

/** @param {string} text */
export const loading = (text = 'Loading…') => h('p', { class: 'loading' }, text);
