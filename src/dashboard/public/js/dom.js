// @ts-check
/**
 * A small element builder. Data from the API only ever becomes text nodes or attribute
 * values, never markup, and there is no way to set a style attribute (the page's CSP
 * forbids them): widths and such go through element.style in code, which CSP allows.
 */

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Record<string, unknown>} Props */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * h('a', { href: '#/x', class: 'link', onclick: fn }, 'text', otherNode)
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * An SVG element (charts).
 * @param {string} tag
 * @param {Props} [props]
 * @param {...(Child | Child[])} children
 * @returns {SVGElement}
 */
export function s(tag, props = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Props} props
 */
function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'style') throw new Error('style attributes are not allowed (CSP): use a class');
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === 'class') {
      el.setAttribute('class', String(value));
    } else if (key === 'dataset') {
      Object.assign(/** @type {HTMLElement} */ (el).dataset, value);
    } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') {
      // Properties, not attributes: they must reflect the current state of a form control.
      /** @type {any} */ (el)[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/**
 * @param {Node} el
 * @param {Array<Child | Child[]>} children
 */
export function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's content.
 * @param {Element} el
 * @param {...(Child | Child[])} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

let nextId = 0;
/** A document-unique id for aria references. @param {string} prefix */
export const uid = (prefix) => `${prefix}-${++nextId}`;

/**
 * A labelled form field: the label always names the control (no placeholder-only inputs).
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  const id = control.id || uid('f');
  control.id = id;
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/**
 * A <select> from [value, label] pairs.
 * @param {string} name
 * @param {Array<[string, string]>} options
 * @param {string} selected
 * @param {Props} [props]
 */
export function select(name, options, selected, props = {}) {
  return h(
    'select',
    { name, ...props },
    options.map(([value, label]) => h('option', { value, selected: value === selected }, label)),
  );
}

/** Text only screen readers announce. @param {string} text */
export const srOnly = (text) => h('span', { class: 'visually-hidden' }, text);

/**
 * A table that turns into stacked cards on a phone: each cell carries its column name.
 * @param {{ caption?: string, columns: string[], rows: Array<Array<Child | Child[]>>, className?: string, captionHidden?: boolean }} spec
 */
export function table({ caption, columns, rows, className = '', captionHidden = false }) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: `data cards ${className}`.trim() },
      caption ? h('caption', { class: captionHidden ? 'visually-hidden' : '' }, caption) : null,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((content, i) => cell(columns[i] ?? '', content)),
          ),
        ),
      ),
    ),
  );
}

/**
 * A table cell that knows its column's name (shown before it when rows become cards).
 * The content sits in one wrapper, so the card's two columns are always label | content.
 * @param {string} label
 * @param {Child | Child[]} content
 */
export const cell = (label, content) => h('td', { dataset: { label } }, h('div', { class: 'cell' }, content));

/**
 * A definition list of label/value pairs (values already formatted); empty values are skipped.
 * @param {Array<[string, Child | Child[]]>} pairs
 * @param {string} [className]
 */
export function facts(pairs, className = 'facts') {
  return h(
    'dl',
    { class: className },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
  );
}
