// @ts-check
/** Acknowledge and record-outcome controls of one alert (alerts view and customer page). */

import { errorMessage } from '../context.js';
import { field, h, replace, uid } from '../dom.js';

const OUTCOMES = /** @type {Array<[string, string]>} */ ([
  ['retained', 'Retained'],
  ['churned', 'Churned'],
  ['false_alarm', 'False alarm'],
]);

/**
 * @typedef {{ id: number, status: string, customerName?: string, customerId?: string,
 *   actions?: Array<{ key: string, text: string }> }} AlertLike
 */

/**
 * The buttons for an alert that is not closed; `onChanged` gets the updated alert.
 * @param {import('../context.js').ViewContext} ctx
 * @param {AlertLike} alert
 * @param {(updated: any) => void} onChanged
 */
export function alertControls(ctx, alert, onChanged) {
  const box = h('div', { class: 'alert-controls' });
  if (alert.status === 'closed') return box;
  const who = alert.customerName ?? alert.customerId ?? `alert ${alert.id}`;
  const problem = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const formSlot = h('div', { class: 'outcome-slot' });
  const buttons = h('div', { class: 'buttons' });

  if (alert.status === 'open') {
    const ack = h('button', { type: 'button', class: 'acknowledge' }, 'Acknowledge');
    ack.setAttribute('aria-label', `Acknowledge the alert for ${who}`);
    ack.addEventListener('click', async () => {
      ack.disabled = true;
      try {
        const updated = await ctx.api.json(`/v1/alerts/${alert.id}/acknowledge`, { method: 'POST', signal: ctx.signal });
        ctx.announce(`Alert ${alert.id} for ${who} acknowledged.`);
        onChanged(updated);
      } catch (err) {
        ack.disabled = false;
        fail(err);
      }
    });
    buttons.append(ack);
  }
  const record = h('button', { type: 'button', class: 'secondary record-outcome', 'aria-expanded': 'false' }, 'Record outcome');
  // The accessible name starts with the visible text, so voice control ("click Record outcome") finds it.
  record.setAttribute('aria-label', `Record outcome of the alert for ${who}`);
  record.addEventListener('click', () => {
    const open = record.getAttribute('aria-expanded') === 'true';
    record.setAttribute('aria-expanded', String(!open));
    if (open) return replace(formSlot);
    const form = outcomeForm(ctx, alert, who, onChanged, fail, () => {
      record.setAttribute('aria-expanded', 'false');
      replace(formSlot);
      record.focus();
    });
    replace(formSlot, form);
    /** @type {HTMLInputElement | null} */ (form.querySelector('input[type=radio]'))?.focus();
  });
  buttons.append(record);
  box.append(buttons, problem, formSlot);
  return box;

  /** @param {unknown} err */
  function fail(err) {
    problem.hidden = false;
    problem.textContent = errorMessage(err);
  }
}

/**
 * @param {import('../context.js').ViewContext} ctx
 * @param {AlertLike} alert
 * @param {string} who
 * @param {(updated: any) => void} onChanged
 * @param {(err: unknown) => void} fail
 * @param {() => void} close
 */
function outcomeForm(ctx, alert, who, onChanged, fail, close) {
  const name = uid('outcome');
  const actions = /** @type {Array<[string, string]>} */ ((alert.actions ?? []).map((a) => [a.key, a.text]));
  const actionSelect = h(
    'select',
    { name: 'action' },
    h('option', { value: '' }, 'None of these / not recorded'),
    actions.map(([key, text]) => h('option', { value: key }, text)),
  );
  const save = h('button', { type: 'submit' }, 'Save outcome');
  const form = h(
    'form',
    { class: 'outcome-form', 'aria-label': `Outcome of the alert for ${who}` },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Outcome'),
      OUTCOMES.map(([value, label], i) => {
        const id = `${name}-${value}`;
        return h(
          'div',
          { class: 'choice' },
          h('input', { type: 'radio', name: 'outcome', value, id, required: i === 0 }),
          h('label', { for: id }, label),
        );
      }),
    ),
    field('Action taken', actionSelect),
    field('Note', h('textarea', { name: 'note', rows: '3', maxlength: '2000' })),
    h('div', { class: 'buttons' }, save, h('button', { type: 'button', class: 'secondary', onclick: close }, 'Cancel')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const outcome = String(data.get('outcome') ?? '');
    if (!outcome) return fail(new Error('Choose an outcome: retained, churned or false alarm.'));
    /** @type {Record<string, string>} */
    const body = { outcome };
    const action = String(data.get('action') ?? '');
    const note = String(data.get('note') ?? '').trim();
    if (action) body.action = action;
    if (note) body.note = note;
    save.disabled = true;
    try {
      const updated = await ctx.api.json(`/v1/alerts/${alert.id}/outcome`, { method: 'POST', body, signal: ctx.signal });
      ctx.announce(`Outcome recorded for ${who}: ${outcome.replace('_', ' ')}. The alert is closed.`);
      onChanged(updated);
    } catch (err) {
      save.disabled = false;
      fail(err);
    }
  });
  return form;
}
