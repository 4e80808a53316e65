// @ts-check
import { ApiError } from '../api.js';
import { errorMessage, pageHeading } from '../context.js';
import { field, h } from '../dom.js';

/** Roles the dashboard has something for; an ingest key only sends data. */
const DASHBOARD_ROLES = ['admin', 'lead', 'manager', 'scheduler'];

/**
 * The sign-in form. The key is checked with GET /v1/auth/me before it is kept.
 * @param {{ root: HTMLElement, api: import('../api.js').Api, message?: string, tone?: 'info' | 'error',
 *   onSignedIn: (key: string, me: import('../session.js').Me) => Promise<void> }} options
 */
export function renderSignIn({ root, api, message, tone = 'error', onSignedIn }) {
  pageHeading(root, 'Sign in');
  const problem = h('div', { class: `notice ${tone}`, role: 'alert', hidden: !message }, message ?? '');
  const input = h('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    required: true,
  });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'sign-in', novalidate: true },
    field('API key', input, 'Your churnwatch API key. It is kept only in this browser tab until you sign out or close it.'),
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return show('Enter your API key.');
    button.disabled = true;
    try {
      const me = await api.json('/v1/auth/me', { key });
      if (!DASHBOARD_ROLES.includes(me.role))
        return show(`This is an ${me.role} key: it can send data, but the dashboard needs an admin, lead, manager or scheduler key.`);
      input.value = '';
      await onSignedIn(key, me);
    } catch (err) {
      show(err instanceof ApiError && err.status === 401 ? 'That key was not accepted. Check it and try again.' : errorMessage(err));
    } finally {
      button.disabled = false;
    }
  });
  root.append(h('p', { class: 'lead' }, 'Churn early warning: at-risk customers, their alerts and the scoring runs.'), problem, form);

  /** @param {string} text */
  function show(text) {
    problem.className = 'notice error';
    problem.hidden = false;
    problem.textContent = text;
    input.focus();
  }
}
