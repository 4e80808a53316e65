// @ts-check
/**
 * The signed-in key lives in sessionStorage only: it goes when the tab closes, is never
 * written to localStorage, a cookie, a URL or the hash, and is sent only as a header.
 */

/** @typedef {'admin' | 'ingest' | 'scheduler' | 'lead' | 'manager'} Role */
/** @typedef {{ name: string, role: Role, email: string | null }} Me */

const KEY = 'churnwatch.apiKey';
const ME = 'churnwatch.me';

/** @returns {string | null} */
export const storedKey = () => sessionStorage.getItem(KEY);

/** @returns {Me | null} */
export function storedMe() {
  try {
    return JSON.parse(sessionStorage.getItem(ME) ?? 'null');
  } catch {
    return null;
  }
}

/** @param {string} key @param {Me} me */
export function remember(key, me) {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(ME, JSON.stringify(me));
}

export function forget() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ME);
}

/** What each role may see and do (the server enforces the same; this only shapes the page). */
const ABILITIES = {
  atRisk: ['admin', 'lead', 'manager'],
  customers: ['admin', 'lead', 'manager'],
  alerts: ['admin', 'lead', 'manager'],
  actOnAlerts: ['admin', 'lead', 'manager'],
  runs: ['admin', 'scheduler', 'lead'],
  triggerRuns: ['admin', 'scheduler'],
  summary: ['admin', 'lead', 'manager'],
  economics: ['admin', 'lead', 'manager'],
  filterByManager: ['admin', 'lead'],
  queues: ['admin'],
  resolveStorms: ['admin'],
};

/** @typedef {keyof typeof ABILITIES} Ability */

/** @param {Me | null} me @param {Ability} ability */
export const can = (me, ability) => !!me && ABILITIES[ability].includes(me.role);
