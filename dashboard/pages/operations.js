// Operations: the project's background operations, live, with their result or error, and cancel.
import { call, describeRequest, session } from '../api.js';
import { field, fill, formatTime, h, jsonBlock } from '../dom.js';
import { clearFailures, errorSlot, gate, showFailure, statusBadge } from '../ui.js';

const statuses = ['queued', 'processing', 'succeeded', 'failed', 'cancelled'];
const kinds = ['responses', 'chat.completions', 'documents.parse', 'audio.speech', 'audio.transcriptions', 'audio.translations', 'images.generations', 'images.edits', 'images.variations'];
const ended = new Set(['succeeded', 'failed', 'cancelled']);
const pollMs = 1500;

export function operationsPage(main) {
  const canRead = session.can('ai:read');
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'Any'), statuses.map((value) => h('option', { value }, value)));
  const kind = h('input', { name: 'kind', list: 'operation-kinds', autocomplete: 'off' });
  const filterSlot = errorSlot();
  const filters = h(
    'form',
    { class: 'filters', novalidate: true },
    field('Status', status),
    field('Kind', kind),
    h('datalist', { id: 'operation-kinds' }, kinds.map((value) => h('option', { value }))),
    h('div', { class: 'actions' }, gate(h('button', { type: 'submit' }, 'Filter'), 'ai:read')),
    filterSlot,
  );
  const rows = h('tbody');
  const table = h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'operations' },
      h('caption', { class: 'visually-hidden' }, 'Operations, newest first'),
      h('thead', {}, h('tr', {}, ['Operation', 'Kind', 'Status', 'Model', 'Created'].map((title) => h('th', { scope: 'col' }, title)))),
      rows,
    ),
  );
  const moreSlot = errorSlot();
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const detail = h('section', { class: 'card operation-detail', 'aria-live': 'polite', 'aria-label': 'Selected operation' }, h('p', { class: 'hint' }, 'Select an operation to see its state, result or error.'));

  const inspectInput = h('input', { name: 'operation_id', autocomplete: 'off', placeholder: 'aiop_…' });
  const inspectSlot = errorSlot();
  const inspect = h('form', { class: 'filters', novalidate: true }, field('Inspect by id', inspectInput), h('div', { class: 'actions' }, gate(h('button', { type: 'submit', class: 'secondary' }, 'Inspect'), 'ai:read')), inspectSlot);

  main.append(h('div', { class: 'split' }, h('div', {}, filters, table, h('div', { class: 'actions' }, more), moreSlot), h('div', {}, inspect, detail)));

  let loaded = [];
  let lastId = null;
  let selectedId = new URLSearchParams(location.hash.split('?')[1] ?? '').get('id');
  let timer;
  let stopped = false;

  const query = () => ({ status: status.value, kind: kind.value.trim() });

  function renderRows() {
    fill(
      rows,
      loaded.length === 0 ? h('tr', {}, h('td', { colspan: '5' }, 'No operations.')) : null,
      loaded.map((operation) =>
        h(
          'tr',
          { 'aria-selected': operation.id === selectedId ? 'true' : false, dataset: { operation: operation.id } },
          h('td', { dataset: { label: 'Operation' } }, h('button', { type: 'button', class: 'link', onclick: () => select(operation.id) }, operation.id)),
          h('td', { dataset: { label: 'Kind' } }, operation.kind),
          h('td', { dataset: { label: 'Status' } }, statusBadge(operation.status)),
          h('td', { dataset: { label: 'Model' } }, operation.model ?? '—'),
          h('td', { dataset: { label: 'Created' } }, formatTime(operation.created_at)),
        ),
      ),
    );
  }

  async function loadFirst() {
    clearFailures(filters, filterSlot);
    try {
      const page = (await call(describeRequest({ path: '/infra/ai/operations', query: { ...query(), limit: 20 } }))).data;
      loaded = page.data;
      lastId = page.last_id;
      more.hidden = !page.has_more;
      renderRows();
    } catch (error) {
      showFailure(filters, filterSlot, error);
    }
  }

  async function loadMore() {
    clearFailures(null, moreSlot);
    try {
      const page = (await call(describeRequest({ path: '/infra/ai/operations', query: { ...query(), limit: 20, after: lastId } }))).data;
      loaded = [...loaded, ...page.data];
      lastId = page.last_id;
      more.hidden = !page.has_more;
      renderRows();
    } catch (error) {
      showFailure(null, moreSlot, error);
    }
  }

  function renderDetail(operation) {
    const slot = errorSlot();
    const cancel = h('button', { type: 'button', class: 'danger', disabled: ended.has(operation.status) }, 'Cancel operation');
    cancel.addEventListener('click', async () => {
      clearFailures(null, slot);
      cancel.disabled = true;
      try {
        update((await call(describeRequest({ method: 'POST', path: `/infra/ai/operations/${operation.id}/cancel`, json: {} }))).data);
      } catch (error) {
        showFailure(null, slot, error);
        cancel.disabled = false;
      }
    });
    const times = ['created_at', 'queued_at', 'processing_at', 'succeeded_at', 'failed_at', 'cancelled_at'].filter((name) => operation[name]);
    fill(
      detail,
      h('h2', {}, operation.id),
      h('p', {}, statusBadge(operation.status), ' ', operation.kind, operation.model ? ` · ${operation.model}` : '', ` · attempt ${operation.attempts}`),
      h('dl', { class: 'times' }, times.map((name) => [h('dt', {}, name.replace('_at', '')), h('dd', {}, formatTime(operation[name]))])),
      h('div', { class: 'actions' }, gate(cancel, 'ai:generate')),
      slot,
      operation.error ? [h('h3', {}, 'Error'), h('p', { class: 'error' }, `${operation.error.code}: ${operation.error.message}`)] : null,
      operation.usage ? [h('h3', {}, 'Usage'), jsonBlock(operation.usage)] : null,
      operation.result_destination ? [h('h3', {}, 'Result written to'), jsonBlock(operation.result_destination)] : null,
      operation.result !== null ? [h('h3', {}, 'Result'), jsonBlock(operation.result)] : null,
    );
  }

  function update(operation) {
    loaded = loaded.map((known) => (known.id === operation.id ? operation : known));
    renderRows();
    if (operation.id === selectedId) renderDetail(operation);
  }

  async function select(id) {
    selectedId = id;
    clearFailures(inspect, inspectSlot);
    renderRows();
    try {
      update((await call(describeRequest({ path: `/infra/ai/operations/${encodeURIComponent(id)}` }))).data);
    } catch (error) {
      showFailure(inspect, inspectSlot, error);
    }
  }

  /** Live status: what is still running is read again until it ends. */
  async function poll() {
    const running = loaded.filter((operation) => !ended.has(operation.status)).map((operation) => operation.id);
    if (selectedId && !running.includes(selectedId)) {
      const shown = loaded.find((operation) => operation.id === selectedId);
      if (!shown || !ended.has(shown.status)) running.push(selectedId);
    }
    for (const id of running) {
      try {
        update((await call(describeRequest({ path: `/infra/ai/operations/${encodeURIComponent(id)}` }))).data);
      } catch {
        // The next poll tries again; errors of explicit actions are shown where they happen.
      }
    }
    if (!stopped) timer = setTimeout(poll, pollMs);
  }

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void loadFirst();
  });
  inspect.addEventListener('submit', (event) => {
    event.preventDefault();
    if (inspectInput.value.trim()) void select(inspectInput.value.trim());
  });
  more.addEventListener('click', () => void loadMore());

  if (canRead) {
    void loadFirst().then(() => {
      if (selectedId) void select(selectedId);
      timer = setTimeout(poll, pollMs);
    });
  }
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
