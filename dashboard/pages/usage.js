// Usage: balance, the key's rate limits, per-model totals as a chart, recent usage records.
import { call, describeRequest, session } from '../api.js';
import { fill, formatNumber, formatTime, h } from '../dom.js';
import { errorSlot, gate, showFailure } from '../ui.js';

const recentLimit = 200;

/** Calls and tokens charged per model over the records read. */
function totalsByModel(records) {
  const totals = new Map();
  for (const record of records) {
    const name = record.model ?? record.primitive;
    const total = totals.get(name) ?? { name, calls: 0, tokens: 0, units: 0 };
    total.calls++;
    total.tokens += Number(record.tokens_charged);
    total.units += record.input_units + record.output_units;
    totals.set(name, total);
  }
  return [...totals.values()].sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
}

/** Horizontal bars, one per model: calls, with tokens charged beside; the numbers are text too. */
function modelChart(totals) {
  const most = Math.max(1, ...totals.map((total) => total.calls));
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', {}, `Calls per model (last ${recentLimit} calls)`),
    h(
      'ul',
      { class: 'bars' },
      totals.map((total) =>
        h(
          'li',
          { dataset: { model: total.name } },
          h('span', { class: 'bar-label' }, total.name),
          h('span', { class: 'bar-track', 'aria-hidden': 'true' }, h('span', { class: 'bar', style: { width: `${(total.calls / most) * 100}%` } })),
          h('span', { class: 'bar-value' }, `${total.calls} call${total.calls === 1 ? '' : 's'} · ${formatNumber(total.tokens, 9)} tokens`),
        ),
      ),
    ),
  );
}

function stat(label, value, hint) {
  return h('div', { class: 'stat' }, h('p', { class: 'stat-label' }, label), h('p', { class: 'stat-value' }, value), hint ? h('p', { class: 'hint' }, hint) : null);
}

const refreshMs = 3000;

export function usagePage(main) {
  const content = h('div', { class: 'usage' });
  const slot = errorSlot();
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  main.append(h('div', { class: 'actions' }, gate(refresh, 'ai:read')), slot, content);

  async function load() {
    slot.hidden = true;
    try {
      const answer = await call(describeRequest({ path: '/infra/ai/usage', query: { limit: recentLimit } }));
      const usage = answer.data;
      const header = (name) => answer.headers.get(name);
      const limits = usage.key.rate_limits;
      fill(
        content,
        h(
          'div',
          { class: 'stats' },
          stat('Balance', `${formatNumber(usage.balance, 7)} tokens`, `Project ${usage.project_id}`),
          stat('Requests per minute', formatNumber(limits.requests_per_minute), `${header('x-ratelimit-remaining-requests') ?? '?'} left, resets in ${header('x-ratelimit-reset-requests') ?? '?'}`),
          stat('Tokens per minute', formatNumber(limits.tokens_per_minute), `Key ${usage.key.id} · ${usage.key.scopes.join(', ')}`),
        ),
        usage.recent.length ? modelChart(totalsByModel(usage.recent)) : null,
        h('h2', {}, 'Recent calls'),
        usage.recent.length === 0 ? h('p', { class: 'hint' }, 'No calls recorded yet.') : h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'records' },
            h('thead', {}, h('tr', {}, ['When', 'Primitive', 'Model', 'Units', 'Tokens charged', 'Latency', 'Status'].map((title) => h('th', { scope: 'col' }, title)))),
            h(
              'tbody',
              {},
              usage.recent.map((record) =>
                h(
                  'tr',
                  { dataset: { request: record.request_id } },
                  h('td', {}, formatTime(record.created_at)),
                  h('td', {}, record.primitive),
                  h('td', {}, record.model ?? '—'),
                  h('td', {}, `${record.input_units} + ${record.output_units} ${record.unit}`),
                  h('td', {}, record.tokens_charged),
                  h('td', {}, `${record.latency_ms} ms`),
                  h('td', {}, record.status),
                ),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      showFailure(null, slot, error);
    }
  }
  refresh.addEventListener('click', () => void load());
  // Charges are written in batches a fraction of a second after each call: keep the page live.
  let stopped = false;
  let timer;
  const poll = async () => {
    await load();
    if (!stopped) timer = setTimeout(poll, refreshMs);
  };
  if (session.can('ai:read')) void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
