// @ts-check
/** The dashboard: sign-in, navigation by role, and the hash router that renders each view. */

import { Api, isAbort } from './api.js';
import { errorMessage, errorPanel, pageHeading } from './context.js';
import { h, replace } from './dom.js';
import { currentLocation, hashFor, replaceHash } from './router.js';
import { can, forget, remember, storedKey, storedMe } from './session.js';
import { renderSignIn } from './views/sign-in.js';
import { renderAtRisk } from './views/at-risk.js';
import { renderCustomer } from './views/customer.js';
import { renderAlerts } from './views/alerts.js';
import { renderRuns } from './views/runs.js';
import { renderSummary } from './views/summary.js';
import { renderEconomics } from './views/economics.js';

/**
 * @typedef {import('./session.js').Ability} Ability
 * @typedef {{ pattern: RegExp, ability: Ability, render: (ctx: import('./context.js').ViewContext) => Promise<void> }} Route
 */

/** @type {Route[]} */
const ROUTES = [
  { pattern: /^\/at-risk$/, ability: 'atRisk', render: renderAtRisk },
  { pattern: /^\/customers\/([^/]+)$/, ability: 'customers', render: renderCustomer },
  { pattern: /^\/alerts$/, ability: 'alerts', render: renderAlerts },
  { pattern: /^\/runs$/, ability: 'runs', render: renderRuns },
  { pattern: /^\/summary$/, ability: 'summary', render: renderSummary },
  { pattern: /^\/economics$/, ability: 'economics', render: renderEconomics },
];

/** @type {Array<{ path: string, label: string, ability: Ability }>} */
const NAV = [
  { path: '/at-risk', label: 'At risk', ability: 'atRisk' },
  { path: '/alerts', label: 'Alerts', ability: 'alerts' },
  { path: '/runs', label: 'Runs', ability: 'runs' },
  { path: '/summary', label: 'Summary', ability: 'summary' },
  { path: '/economics', label: 'Economics', ability: 'economics' },
];

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
const account = /** @type {HTMLElement} */ (document.getElementById('account'));
const statusRegion = /** @type {HTMLElement} */ (document.getElementById('status'));

/** @type {import('./session.js').Me | null} */
let me = null;
/** @type {import('./context.js').Settings} */
let settings = { tiers: [], segmentThresholds: {}, driverGroups: [], features: [] };
/** Cancels the current view's requests and polling when the next one starts. */
let viewAbort = new AbortController();

// Several requests of a page can be refused at once; the first signs out, and the rest (their
// answers cut short by the sign-out's abort) must not replace its message.
const api = new Api({
  getKey: storedKey,
  onUnauthorized: (message) => {
    if (storedKey()) signOut(`Signed out: ${message}`);
  },
});

/** Status messages for screen readers (and a visible line). @param {string} message */
function announce(message) {
  // Cleared first, so the same message twice is announced twice.
  statusRegion.textContent = '';
  window.setTimeout(() => (statusRegion.textContent = message), 50);
}

/** @param {string} [message] @param {'info' | 'error'} [tone] */
function signOut(message, tone = 'error') {
  forget();
  me = null;
  viewAbort.abort();
  showSignIn(message, tone);
}

/** @param {string} [message] @param {'info' | 'error'} [tone] */
function showSignIn(message, tone = 'error') {
  replace(nav);
  replace(account);
  viewAbort.abort();
  viewAbort = new AbortController();
  main.replaceChildren();
  renderSignIn({ root: main, api, message, tone, onSignedIn });
}

/** @param {string} key @param {import('./session.js').Me} who */
async function onSignedIn(key, who) {
  remember(key, who);
  me = who;
  await loadSettings();
  announce(`Signed in as ${who.name} (${who.role}).`);
  route();
}

async function loadSettings() {
  try {
    settings = await api.json('/v1/dashboard/settings');
  } catch {
    // Labels and tier lines are a nicety: every view still works without them.
  }
}

function renderChrome(/** @type {string} */ path) {
  if (!me) return;
  const who = /** @type {import('./session.js').Me} */ (me);
  const links = NAV.filter((item) => can(who, item.ability)).map((item) =>
    h('li', {}, h('a', { href: `#${item.path}`, 'aria-current': path.startsWith(item.path) ? 'page' : null }, item.label)),
  );
  if (can(who, 'queues')) links.push(h('li', {}, h('button', { type: 'button', class: 'link-button', onclick: openQueues }, 'Queues')));
  replace(nav, h('ul', {}, links));
  replace(
    account,
    h('span', { class: 'who' }, `${who.name} · ${who.role}`),
    h('button', { type: 'button', class: 'secondary', onclick: () => signOut('You are signed out.', 'info') }, 'Sign out'),
  );
}

/** The queue dashboard authenticates by a short-lived cookie the API sets for an admin key. */
async function openQueues() {
  try {
    await api.json('/v1/auth/queue-session', { method: 'POST' });
    window.location.assign('/admin/queues');
  } catch (err) {
    announce(`The queue view could not be opened: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const defaultPath = () => (me && !can(me, 'atRisk') ? '/runs' : '/at-risk');

function route() {
  const where = currentLocation();
  if (!where) return; // an in-page anchor such as the skip link target
  if (!me) return showSignIn();
  if (where.path === '') return window.location.replace(hashFor(defaultPath()));
  viewAbort.abort();
  viewAbort = new AbortController();
  // A message belongs to the page it was said on (one announced just now still arrives).
  statusRegion.textContent = '';
  renderChrome(where.path);
  main.replaceChildren();
  void showStormBanner(viewAbort.signal);
  const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(where.path) })).find((x) => x.m);
  if (!found || !found.m) return notFound('There is no such page.');
  if (!can(me, found.r.ability)) return notFound(`A ${me.role} key cannot open this page.`);
  const signal = viewAbort.signal;
  const ctx = {
    root: main,
    params: where.params,
    match: found.m.slice(1).map(decodePart),
    me,
    settings,
    api,
    signal,
    announce,
    setParams: (/** @type {Record<string, string | number | null | undefined>} */ params) => replaceHash(hashFor(where.path, params)),
  };
  found.r.render(ctx).catch((err) => {
    if (isAbort(err) || signal.aborted) return;
    main.appendChild(errorPanel(err));
  });
}

/**
 * A run's alerts held as an alert storm wait for an admin: every page of a role that sees
 * runs says so at its top (GET /v1/scoring-runs/storms); an admin can release or dismiss it here.
 * @param {AbortSignal} signal
 */
async function showStormBanner(signal) {
  if (!me || !can(me, 'runs')) return;
  /** @type {any[]} */
  let storms;
  try {
    storms = await api.json('/v1/scoring-runs/storms', { signal });
  } catch {
    return; // the page works without it; the next page asks again
  }
  if (signal.aborted || !storms.length) return;
  const who = /** @type {import('./session.js').Me} */ (me);
  const banners = storms.map((run) => {
    /** @param {'release' | 'dismiss'} action */
    const act = async (action) => {
      const question =
        action === 'release'
          ? `Email the ${run.storm.alerts} alerts of run ${run.id} to their account managers now?`
          : `Close the ${run.storm.alerts} alerts of run ${run.id} without emailing anyone?`;
      if (!window.confirm(question)) return;
      try {
        await api.json(`/v1/scoring-runs/${run.id}/${action}-storm`, { method: 'POST' });
        announce(action === 'release' ? `Run ${run.id}'s alerts are being emailed.` : `Run ${run.id}'s alerts were closed unsent.`);
      } catch (err) {
        announce(`Could not ${action} the alert storm: ${errorMessage(err)}`);
      }
      route();
    };
    return h(
      'section',
      { class: 'notice error storm-banner', role: 'alert', dataset: { stormRun: String(run.id) } },
      h('strong', {}, `Alert storm held: run ${run.id} raised ${run.storm.alerts} alerts. `),
      `${run.storm.reason}. They are recorded, and no account manager has been emailed about them. `,
      can(who, 'resolveStorms')
        ? [
            h('button', { type: 'button', onclick: () => act('release') }, 'Release (email them)'),
            ' ',
            h('button', { type: 'button', class: 'secondary', onclick: () => act('dismiss') }, 'Dismiss (close unsent)'),
          ]
        : 'An admin can release or dismiss them.',
    );
  });
  main.prepend(...banners);
}

/** A path part as written in the link; a malformed escape is kept as it is rather than thrown. @param {string} part */
function decodePart(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** @param {string} message */
function notFound(message) {
  pageHeading(main, 'Page not found');
  main.appendChild(h('p', {}, message, ' ', h('a', { href: hashFor(defaultPath()) }, 'Go to the start page')));
}

async function start() {
  document.getElementById('skip-link')?.addEventListener('click', (event) => {
    // A plain #main link would replace the route in the hash.
    event.preventDefault();
    main.focus();
  });
  window.addEventListener('hashchange', route);
  const key = storedKey();
  if (!key) return showSignIn();
  try {
    // The role may have changed (or the key been revoked) since this tab signed in.
    me = await api.json('/v1/auth/me');
    remember(key, /** @type {import('./session.js').Me} */ (me));
  } catch (err) {
    if (!storedKey()) return; // a 401: signOut() already showed the sign-in form
    me = storedMe(); // the service did not answer: carry on with what this tab knew
    if (!me) return showSignIn(errorMessage(err));
  }
  await loadSettings();
  route();
}

start();
