// Catalog: every model with provider, capabilities, modalities, limits, pricing and availability.
import { call, describeRequest, openApi, session } from '../api.js';
import { field, fill, formatNumber, h } from '../dom.js';
import { clearFailures, errorSlot, showFailure } from '../ui.js';

function pricingText(pricing) {
  if (!pricing) return '—';
  if (pricing.unit === 'token') return `${pricing.input_per_million} in / ${pricing.output_per_million} out per million tokens`;
  return `${pricing.per_unit} per ${pricing.unit}`;
}

function limitsText(limits) {
  const named = [
    ['context', limits?.context_window],
    ['max output', limits?.max_output_tokens],
    ['max input', limits?.max_input_tokens],
    ['max request', limits?.max_request_tokens],
  ].filter(([, value]) => value !== null && value !== undefined);
  return named.length ? named.map(([name, value]) => `${name} ${formatNumber(value)}`).join(' · ') : '—';
}

function modelCard(model) {
  return h(
    'article',
    { class: 'model', dataset: { model: model.id } },
    h('h2', {}, model.id),
    h('p', { class: 'hint' }, model.display_name ?? model.upstream_model ?? ''),
    h(
      'dl',
      {},
      h('dt', {}, 'Provider'),
      h('dd', {}, model.provider),
      h('dt', {}, 'Capabilities'),
      h('dd', {}, model.capabilities.map((capability) => h('span', { class: 'tag' }, capability))),
      h('dt', {}, 'Modalities'),
      h('dd', {}, `${model.input_modalities.join(', ')} → ${model.output_modalities.join(', ')}`),
      h('dt', {}, 'Limits'),
      h('dd', {}, limitsText(model.limits)),
      h('dt', {}, 'Pricing'),
      h('dd', {}, pricingText(model.pricing)),
      h('dt', {}, 'Availability'),
      h('dd', {}, h('span', { class: `badge ${model.available ? 'status-succeeded' : 'status-failed'}` }, model.available ? 'available' : 'unavailable')),
    ),
  );
}

export function catalogPage(main) {
  const capability = h('select', { name: 'capability' }, h('option', { value: '' }, 'Any'));
  const provider = h('input', { name: 'provider', list: 'providers', autocomplete: 'off' });
  const providers = h('datalist', { id: 'providers' });
  const slot = errorSlot();
  const apply = h('button', { type: 'submit', disabled: !session.can('ai:read') }, 'Filter');
  const form = h(
    'form',
    { class: 'filters', novalidate: true },
    field('Capability', capability),
    field('Provider', provider),
    providers,
    h('div', { class: 'actions' }, apply, session.can('ai:read') ? null : h('span', { class: 'scope-note' }, 'Needs the ai:read scope')),
    slot,
  );
  const count = h('p', { class: 'hint', role: 'status' });
  const list = h('div', { class: 'model-grid' });
  main.append(form, count, list);

  void openApi().then((document) => {
    for (const value of document.components?.schemas?.Capability?.enum ?? []) capability.append(h('option', { value }, value));
  });

  async function load() {
    clearFailures(form, slot);
    try {
      const answer = await call(describeRequest({ path: '/infra/ai/models', query: { capability: capability.value, provider: provider.value.trim() } }));
      const models = answer.data;
      for (const name of new Set(models.map((model) => model.provider))) {
        if (![...providers.options].some((option) => option.value === name)) providers.append(h('option', { value: name }));
      }
      count.textContent = `${models.length} model${models.length === 1 ? '' : 's'}`;
      fill(list, models.map(modelCard));
    } catch (error) {
      fill(list);
      count.textContent = '';
      showFailure(form, slot, error);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  if (session.can('ai:read')) void load();
}
