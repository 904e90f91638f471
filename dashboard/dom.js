// A tiny element builder: the dashboard has no framework and no build step.

/**
 * h('button', { type: 'button', onclick }, 'Save'): props starting with "on" are listeners,
 * booleans toggle attributes, `dataset` and `style` objects are merged; children may nest and be
 * strings, numbers, nodes, or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'style') for (const [property, setting] of Object.entries(value)) element.style.setProperty(property.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`), setting);
    else if (name === 'value' || name === 'checked') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Text with Markdown code spans (`like this`, as the OpenAPI descriptions write them) as <code> elements. */
export function withCodeSpans(text) {
  return String(text)
    .split('`')
    .map((part, index) => (index % 2 === 1 ? h('code', {}, part) : part));
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of a node. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let uniqueCounter = 0;
export const uniqueId = (prefix) => `${prefix}-${++uniqueCounter}`;

/**
 * A labelled control with a slot for its own error, wired with aria-describedby; `name` is the
 * API field the control sends, so an error naming that field is shown here.
 */
export function field(label, control, hint) {
  const id = control.id || uniqueId('field');
  control.id = id;
  const errorSlot = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const hintNode = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  control.setAttribute('aria-describedby', [hintNode?.id, errorSlot.id].filter(Boolean).join(' '));
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintNode, errorSlot);
}

/** A pretty-printed JSON block. */
export const jsonBlock = (value) => h('pre', { class: 'json', tabindex: '0' }, JSON.stringify(value, null, 2));

export function formatNumber(value, digits = 0) {
  return Number(value).toLocaleString('en-US', { maximumFractionDigits: digits });
}

export const formatTime = (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { hour12: false }) : '—');
