// API Console: any route of /openapi.json with the example the document carries for it, Storage
// references, and the full answer (status, headers, timing, body).
import { call, describeRequest, failureOf, openApi, send, session } from '../api.js';
import { field, fill, h, uniqueId, withCodeSpans } from '../dom.js';
import { documentedRoutes, exampleRequest, fillPath, jsonBodyOf } from '../examples.js';
import { clearFailures, errorSlot, requestPanel, showFailure } from '../ui.js';

export const lastResponseKey = 'ai-dashboard.last-response-id';

/** Ids of things the project has, by the path parameter that names them, so examples that need one are complete. */
async function knownIds() {
  if (!session.can('ai:read')) return {};
  const read = (path, query) => call(describeRequest({ path, query })).then((answer) => answer.data, () => null);
  const [operations, buckets, endpoints] = await Promise.all([read('/infra/ai/operations', { limit: 1 }), read('/infra/storage/buckets'), read('/infra/webhooks/endpoints')]);
  const bucketId = buckets?.[0]?.id;
  const objects = bucketId ? await read(`/infra/storage/buckets/${bucketId}/objects`, { limit: 1 }) : null;
  return {
    operation_id: operations?.data[0]?.id,
    bucket_id: bucketId,
    key: objects?.[0]?.key,
    endpoint_id: endpoints?.[0]?.id,
    response_id: sessionStorage.getItem(lastResponseKey) ?? undefined,
  };
}

/** The answer as it came: JSON pretty-printed, text as text, audio and images shown, other bytes offered. */
function answerBody(type, body) {
  if (body === null || body === undefined || body === '') return h('p', { class: 'hint' }, 'No body.');
  if (typeof body === 'string') return h('pre', { class: 'json', tabindex: '0' }, body);
  if (body instanceof Blob) {
    const url = URL.createObjectURL(body);
    if (type.startsWith('audio/')) return h('audio', { controls: true, src: url });
    if (type.startsWith('image/')) return h('img', { src: url, alt: 'Image answered by the route' });
    return h('p', {}, `${body.size} bytes of ${type || 'unknown type'} `, h('a', { href: url, download: 'answer' }, 'Download'));
  }
  return h('pre', { class: 'json', tabindex: '0' }, JSON.stringify(body, null, 2));
}

async function readAnswer(response) {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type.startsWith('text/')) return response.text();
  const blob = await response.blob();
  return blob.size ? blob : null;
}

export function consolePage(main) {
  const picker = h('select', { name: 'route' });
  const editor = h('div', { class: 'console-editor' });
  const result = h('section', { class: 'card console-result', 'aria-live': 'polite', 'aria-label': 'Response' }, h('p', { class: 'hint' }, 'Send a request to see its response here.'));
  main.append(h('div', { class: 'console' }, h('div', { class: 'card' }, field('Route', picker), editor), result));

  let routes = [];
  let known = {};
  let reference;

  function renderRoute(route) {
    const example = exampleRequest(reference, route, known);
    const parameters = route.operation.parameters ?? [];
    const bodySchema = jsonBodyOf(route)?.schema;
    const rawBody = Boolean(route.operation.requestBody) && !bodySchema;
    const controls = {};
    const paramFields = parameters.map((parameter) => {
      const value = (parameter.in === 'path' ? example.path : example.query)?.[parameter.name] ?? '';
      const control = h('input', { name: parameter.name, value: String(value), autocomplete: 'off', dataset: { in: parameter.in } });
      controls[parameter.name] = control;
      const hint = [parameter.in === 'path' ? 'path, required' : 'query', parameter.schema?.description ?? parameter.description].filter(Boolean).join(' · ');
      return field(parameter.name, control, hint);
    });
    const body = h('textarea', { name: 'body', rows: '12', spellcheck: 'false', class: 'code', value: rawBody ? (example.raw ?? '') : JSON.stringify(example.body ?? {}, null, 2) });
    const contentType = h('input', { name: 'content_type', value: example.contentType ?? 'application/octet-stream' });
    const hasBody = Boolean(bodySchema) || rawBody || route.method === 'POST';
    const slot = errorSlot();
    const request = requestPanel();
    const needs = route.operation['x-required-scope'];
    const sendButton = h('button', { type: 'submit', disabled: Boolean(needs && !session.can(needs)) }, 'Send');
    const storage = storagePanel({ body, controls, bodySchema });
    const form = h(
      'form',
      { class: 'card-form', novalidate: true },
      h('p', {}, h('strong', {}, route.operation.summary ?? route.id), needs ? h('span', { class: 'tag' }, needs) : null),
      route.operation.description ? h('p', { class: 'hint description' }, withCodeSpans(route.operation.description)) : null,
      paramFields,
      rawBody ? field('Content-Type', contentType) : null,
      hasBody ? field(rawBody ? 'Body (raw)' : 'JSON body', body, rawBody ? null : 'Prefilled with a working example; edit freely.') : null,
      storage,
      h('div', { class: 'actions' }, sendButton, needs && !session.can(needs) ? h('span', { class: 'scope-note' }, `Needs the ${needs} scope`) : null),
      slot,
      request.element,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFailures(form, slot);
      const values = Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value]));
      const missing = parameters.find((parameter) => parameter.in === 'path' && !values[parameter.name]);
      if (missing) return showFailure(form, slot, failureOf('not sent', new Headers(), { error: { message: `${missing.name}: required in the path` } }));
      let json;
      if (hasBody && !rawBody && body.value.trim()) {
        try {
          json = JSON.parse(body.value);
        } catch (error) {
          return showFailure(form, slot, failureOf('not sent', new Headers(), { error: { message: `body: not valid JSON (${error.message})` } }));
        }
      }
      const query = Object.fromEntries(parameters.filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, values[parameter.name]]));
      const described = describeRequest({
        method: route.method,
        path: fillPath(route.path, values),
        query,
        ...(rawBody ? { raw: body.value, contentType: contentType.value } : json !== undefined ? { json } : {}),
      });
      request.show(described);
      sendButton.disabled = true;
      try {
        const { response, started } = await send(described);
        const answer = await readAnswer(response);
        const elapsed = performance.now() - started;
        showResult(response, answer, elapsed);
        if (!response.ok) {
          const failure = failureOf(response.status, response.headers, answer);
          // A field of the JSON body is shown beside the body editor.
          if (failure.field && !(failure.field.split(/[.[]/)[0] in controls) && hasBody && !rawBody) failure.field = 'body';
          showFailure(form, slot, failure);
        }
      } catch (error) {
        showFailure(form, slot, error);
      } finally {
        sendButton.disabled = false;
      }
    });
    fill(editor, form);
  }

  function showResult(response, answer, elapsed) {
    const headers = [...response.headers.entries()];
    fill(
      result,
      h('h2', {}, 'Response'),
      h(
        'p',
        { class: 'status-line' },
        h('span', { class: `badge ${response.ok ? 'status-succeeded' : 'status-failed'}`, dataset: { status: String(response.status) } }, `${response.status} ${response.statusText}`),
        ` in ${elapsed.toFixed(0)} ms`,
      ),
      h(
        'details',
        {},
        h('summary', {}, `Headers (${headers.length})`),
        h('div', { class: 'table-scroll' }, h('table', { class: 'headers' }, h('tbody', {}, headers.map(([name, value]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, value)))))),
      ),
      answerBody(response.headers.get('content-type') ?? '', answer),
    );
  }

  void Promise.all([openApi(), knownIds()]).then(([document, ids]) => {
    reference = document;
    known = ids;
    routes = documentedRoutes(document);
    const groups = new Map();
    for (const route of routes) groups.set(route.tag, [...(groups.get(route.tag) ?? []), route]);
    fill(
      picker,
      [...groups].map(([tag, members]) =>
        h(
          'optgroup',
          { label: tag },
          members.map((route) => {
            const needs = route.operation['x-required-scope'];
            const forbidden = needs && !session.can(needs);
            return h('option', { value: route.id, disabled: forbidden }, `${route.id}${forbidden ? ` (needs ${needs})` : ''}`);
          }),
        ),
      ),
    );
    const wanted = new URLSearchParams(location.hash.split('?')[1] ?? '').get('route');
    const first = routes.find((route) => route.id === wanted) ?? routes.find((route) => !picker.querySelector(`option[value="${CSS.escape(route.id)}"]`).disabled) ?? routes[0];
    picker.value = first.id;
    renderRoute(first);
  });
  picker.addEventListener('change', () => renderRoute(routes.find((route) => route.id === picker.value)));
}

/**
 * Storage references: pick a bucket and object of the project and put it in the body as
 * storage_ref or result_destination, or in the path.
 */
function storagePanel({ body, controls, bodySchema }) {
  const fields = bodySchema?.properties ?? {};
  const targets = ['storage_ref', 'result_destination', 'image'].filter((name) => name in fields);
  const inPath = 'bucket_id' in controls;
  if (targets.length === 0 && !inPath) return null;
  const bucket = h('select', { name: 'storage_bucket' });
  const objectKey = h('input', { name: 'storage_key', list: uniqueId('objects'), autocomplete: 'off' });
  const objects = h('datalist', { id: objectKey.getAttribute('list') });
  const slot = errorSlot();
  const panel = h(
    'details',
    { class: 'storage-panel' },
    h('summary', {}, 'Storage references'),
    h('div', { class: 'row' }, field('Bucket', bucket), field('Object key', objectKey)),
    objects,
    h(
      'div',
      { class: 'actions' },
      targets.map((target) =>
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => {
              clearFailures(null, slot);
              try {
                const json = body.value.trim() ? JSON.parse(body.value) : {};
                json[target] = { bucket_id: bucket.value, key: objectKey.value };
                body.value = JSON.stringify(json, null, 2);
              } catch (error) {
                showFailure(null, slot, failureOf('not sent', new Headers(), { error: { message: `body: not valid JSON (${error.message})` } }));
              }
            },
          },
          `Insert as ${target}`,
        ),
      ),
      inPath
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                controls.bucket_id.value = bucket.value;
                if (controls.key) controls.key.value = objectKey.value;
              },
            },
            'Use in path',
          )
        : null,
    ),
    slot,
  );
  const listObjects = async () => {
    if (!bucket.value) return;
    const listed = await call(describeRequest({ path: `/infra/storage/buckets/${bucket.value}/objects`, query: { limit: 100 } })).catch(() => null);
    fill(objects, (listed?.data ?? []).map((object) => h('option', { value: object.key })));
  };
  bucket.addEventListener('change', () => void listObjects());
  panel.addEventListener(
    'toggle',
    async () => {
      try {
        const buckets = (await call(describeRequest({ path: '/infra/storage/buckets' }))).data;
        fill(bucket, buckets.length ? buckets.map((item) => h('option', { value: item.id }, `${item.name} (${item.id})`)) : h('option', { value: '' }, 'No buckets yet'));
        await listObjects();
      } catch (error) {
        showFailure(null, slot, error);
      }
    },
    { once: true },
  );
  return panel;
}
