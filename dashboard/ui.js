// Pieces every page uses: cards with their error slot, the "request sent" panel, scope gating.
import { ApiFailure, call, describeRequest, session } from './api.js';
import { fill, h, uniqueId } from './dom.js';
import { toCurl, toTypeScript } from './snippets.js';

/** A copy button for a block of text; says so when the clipboard is refused. */
function copyButton(label, textOf) {
  const status = h('span', { class: 'copy-status', role: 'status' });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(textOf());
          status.textContent = 'Copied';
        } catch {
          status.textContent = 'Copy refused by the browser: select the text instead';
        }
      },
    },
    label,
  );
  return h('span', { class: 'copy' }, button, status);
}

/** "Request sent": the exact request, as curl and as TypeScript, each copyable. */
export function requestPanel() {
  let curl = '';
  let typescript = '';
  const curlBlock = h('pre', { class: 'code', tabindex: '0', 'data-snippet': 'curl' });
  const tsBlock = h('pre', { class: 'code', tabindex: '0', 'data-snippet': 'typescript' });
  const element = h(
    'details',
    { class: 'request-panel', hidden: true },
    h('summary', {}, 'Request sent'),
    h('div', { class: 'snippet-head' }, h('h4', {}, 'curl'), copyButton('Copy as curl', () => curl)),
    curlBlock,
    h('div', { class: 'snippet-head' }, h('h4', {}, 'TypeScript'), copyButton('Copy as TypeScript', () => typescript)),
    tsBlock,
  );
  return {
    element,
    show(request) {
      curl = toCurl(request);
      typescript = toTypeScript(request);
      curlBlock.textContent = curl;
      tsBlock.textContent = typescript;
      element.hidden = false;
    },
  };
}

/**
 * Shows an API error where it belongs: beside the control that sends the field it names, else
 * beside the button that sent the request. Anything else thrown is shown the same way.
 */
export function showFailure(form, slot, error) {
  const failure = error instanceof ApiFailure ? error : new ApiFailure({ status: 'network', message: String(error?.message ?? error) });
  const fieldName = failure.field?.split(/[.[]/)[0];
  const control = fieldName ? form?.querySelector(`[name="${CSS.escape(fieldName)}"]`) : null;
  const fieldSlot = control ? form.querySelector(`#${CSS.escape(control.id)}-error`) : null;
  const target = fieldSlot ?? slot;
  const meta = failure.meta();
  target.replaceChildren(failure.describe(), meta ? h('span', { class: 'error-meta' }, meta) : '');
  target.hidden = false;
  target.dataset.status = String(failure.status);
  if (control) control.setAttribute('aria-invalid', 'true');
}

/** Clears every error a form shows. */
export function clearFailures(form, slot) {
  for (const node of [slot, ...(form?.querySelectorAll('.field-error') ?? [])]) {
    node.textContent = '';
    node.hidden = true;
  }
  for (const control of form?.querySelectorAll('[aria-invalid]') ?? []) control.removeAttribute('aria-invalid');
}

/** The error slot that sits next to a submit button. */
export const errorSlot = () => h('p', { class: 'error', role: 'alert', hidden: true });

/** Disables a control the key's scopes forbid, saying which scope it needs. */
export function gate(control, scope) {
  if (session.can(scope)) return control;
  control.disabled = true;
  const note = h('span', { class: 'scope-note', id: uniqueId('scope') }, `Needs the ${scope} scope`);
  control.setAttribute('aria-describedby', note.id);
  return h('span', { class: 'gated' }, control, note);
}

/**
 * A Studio-style card: a form of fields, the submit buttons with the error slot beside them,
 * the answer area and the request panel. `run(submitter)` does the work; errors land in place.
 */
export function card({ title, description, fields, actions, scope = 'ai:generate', run, unavailable }) {
  const slot = errorSlot();
  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const request = requestPanel();
  const buttons = actions.map(({ label, value, primary = true }) => gate(h('button', { type: 'submit', value, class: primary ? '' : 'secondary' }, label), scope));
  const form = h('form', { class: 'card-form', novalidate: true }, fields, h('div', { class: 'actions' }, buttons), slot);
  if (unavailable) for (const control of form.querySelectorAll('input, textarea, select, button')) control.disabled = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submitter = event.submitter;
    clearFailures(form, slot);
    // A new run's answer (or its error) never sits under the previous run's result.
    fill(output);
    for (const button of form.querySelectorAll('button[type=submit]')) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await run({ form, output, submitter: submitter?.value, showRequest: request.show });
    } catch (error) {
      // An answer that never came leaves no empty box behind.
      if (!output.textContent.trim()) fill(output);
      showFailure(form, slot, error);
    } finally {
      form.removeAttribute('aria-busy');
      for (const button of form.querySelectorAll('button[type=submit]')) button.disabled = !session.can(scope);
    }
  });
  const headingId = uniqueId('card');
  return h(
    'section',
    { class: 'card', 'aria-labelledby': headingId, dataset: { card: title } },
    h('h2', { id: headingId }, title),
    description ? h('p', { class: 'hint' }, description) : null,
    unavailable ? h('p', { class: 'notice' }, unavailable) : null,
    form,
    output,
    request.element,
  );
}

let catalog;
/** Every model of the catalog, once per page load; [] when the key may not read it. */
export function models() {
  catalog ??= session.can('ai:read')
    ? call(describeRequest({ path: '/infra/ai/models' })).then((answer) => answer.data, () => [])
    : Promise.resolve([]);
  return catalog;
}
export const forgetModels = () => (catalog = undefined);

/** A model select for one capability; "server default" sends no model. */
export function modelSelect(list, capability, name = 'model') {
  const choices = list.filter((model) => model.capabilities.includes(capability) && model.available);
  return h(
    'select',
    { name },
    h('option', { value: '' }, 'Server default'),
    choices.map((model) => h('option', { value: model.id }, model.id)),
  );
}

export const statusBadge = (status) => h('span', { class: `badge status-${status}` }, status);

/** Replaces the node's content with a failure message (for page-level loads). */
export function showPageFailure(node, error) {
  const slot = errorSlot();
  showFailure(null, slot, error);
  fill(node, slot);
}
