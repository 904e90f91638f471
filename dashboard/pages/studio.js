// Studio: a card per primitive; each shows its answer and the exact request it sent.
import { call, describeRequest, session, stream } from '../api.js';
import { field, fill, h } from '../dom.js';
import { card, modelSelect, models, showPageFailure, statusBadge } from '../ui.js';
import { chunksOverText, scoreRow, similarityTable } from './studio-views.js';
import { lastResponseKey } from './console.js';

const textarea = (name, value, rows = 3) => h('textarea', { name, rows: String(rows), value });
const numberInput = (name, value, { min, max, step = '1' } = {}) => h('input', { name, type: 'number', value: String(value), min, max, step, inputmode: 'decimal' });
const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);

/** The form's values, without empty ones (the server applies its defaults). Numbers stay numbers. */
function valuesOf(form, names) {
  const body = {};
  for (const name of names) {
    const control = form.elements[name];
    if (!control || control.value === '') continue;
    body[name] = control.type === 'number' ? Number(control.value) : control.value;
  }
  return body;
}

function responsesCard(list) {
  return card({
    title: 'Responses',
    description: 'Text generation: streamed token by token, or queued as a background operation.',
    fields: [
      field('Model', modelSelect(list, 'text_generation')),
      field('Input', textarea('input', 'Once upon a time', 3)),
      h('div', { class: 'row' }, field('Max output tokens', numberInput('max_output_tokens', 40, { min: '1', max: '8192' })), field('Temperature', numberInput('temperature', 0.7, { min: '0', max: '2', step: '0.1' }))),
    ],
    actions: [
      { label: 'Stream', value: 'stream' },
      { label: 'Queue as operation', value: 'async', primary: false },
    ],
    async run({ form, output, submitter, showRequest }) {
      const body = valuesOf(form, ['model', 'input', 'max_output_tokens', 'temperature']);
      if (submitter === 'async') {
        const request = describeRequest({ method: 'POST', path: '/infra/ai/responses', json: { ...body, async: true } });
        showRequest(request);
        const operation = (await call(request)).data;
        fill(
          output,
          h('p', { class: 'queued' }, 'Queued as ', h('a', { href: `#/operations?id=${operation.id}` }, operation.id), ' ', statusBadge(operation.status)),
        );
        return;
      }
      const request = describeRequest({ method: 'POST', path: '/infra/ai/responses', json: { ...body, stream: true } });
      showRequest(request);
      const text = h('p', { class: 'stream-output', dataset: { state: 'streaming' } });
      const meta = h('p', { class: 'hint' });
      fill(output, text, meta);
      let deltas = 0;
      await stream(request, ({ name, data }) => {
        if (name === 'response.output_text.delta') {
          text.append(data.delta);
          meta.textContent = `${++deltas} deltas`;
        } else if (name === 'response.completed' || name === 'response.incomplete') {
          sessionStorage.setItem(lastResponseKey, data.response.id);
          const usage = data.response.usage;
          meta.textContent = `${deltas} deltas · ${data.response.status} · ${usage?.input_tokens ?? 0} in, ${usage?.output_tokens ?? 0} out · ${data.response.model}`;
        } else if (name === 'response.failed' || name === 'error') {
          const error = data.response?.error ?? data.error ?? data;
          throw Object.assign(new Error(error.message ?? 'the stream failed'), { status: 'stream' });
        }
      });
      text.dataset.state = 'done';
    },
  });
}

function chatCard(list) {
  return card({
    title: 'Chat',
    description: 'OpenAI-compatible chat completions.',
    fields: [
      field('Model', modelSelect(list, 'text_generation')),
      field('System message', textarea('system', '', 2), 'Optional'),
      field('User message', textarea('messages', 'Tell me a story about a cat.', 3)),
      field('Max tokens', numberInput('max_tokens', 40, { min: '1' })),
    ],
    actions: [{ label: 'Send', value: 'send' }],
    async run({ form, output, showRequest }) {
      const { model, system, messages, max_tokens } = valuesOf(form, ['model', 'system', 'messages', 'max_tokens']);
      const json = {
        ...(model ? { model } : {}),
        messages: [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: messages ?? '' }],
        ...(max_tokens ? { max_tokens } : {}),
      };
      const request = describeRequest({ method: 'POST', path: '/v1/chat/completions', json });
      showRequest(request);
      const completion = (await call(request)).data;
      const choice = completion.choices[0];
      fill(
        output,
        h('p', { class: 'assistant' }, h('strong', {}, 'assistant: '), choice.message.content ?? ''),
        h('p', { class: 'hint' }, `${choice.finish_reason} · ${completion.usage?.total_tokens ?? 0} tokens · ${completion.model}`),
      );
    },
  });
}

function embeddingsCard(list) {
  return card({
    title: 'Embeddings',
    description: 'One input per line; the answer is shown as the similarity of every pair.',
    fields: [field('Model', modelSelect(list, 'embeddings')), field('Inputs', textarea('input', 'A cat sat on the mat.\nA kitten rests on a rug.\nStock markets fell today.', 4))],
    actions: [{ label: 'Embed', value: 'embed' }],
    async run({ form, output, showRequest }) {
      const { model, input = '' } = valuesOf(form, ['model', 'input']);
      const inputs = lines(input);
      const request = describeRequest({ method: 'POST', path: '/infra/ai/embeddings', json: { ...(model ? { model } : {}), input: inputs } });
      showRequest(request);
      const answer = (await call(request)).data;
      const vectors = answer.data.map((item) => item.embedding);
      fill(output, h('p', { class: 'hint' }, `${vectors.length} vectors of ${vectors[0]?.length ?? 0} dimensions · ${answer.model}`), similarityTable(inputs, vectors));
    },
  });
}

function rerankCard(list) {
  return card({
    title: 'Rerank',
    description: 'Documents (one per line) ordered by relevance to the query.',
    fields: [
      field('Model', modelSelect(list, 'rerank')),
      field('Query', h('input', { name: 'query', value: 'Which animal purrs?' })),
      field('Documents', textarea('documents', 'Dogs bark at strangers.\nCats purr when they are content.\nThe sun is a star.', 4)),
    ],
    actions: [{ label: 'Rerank', value: 'rerank' }],
    async run({ form, output, showRequest }) {
      const { model, query, documents = '' } = valuesOf(form, ['model', 'query', 'documents']);
      const request = describeRequest({ method: 'POST', path: '/infra/ai/rerank', json: { ...(model ? { model } : {}), query, documents: lines(documents) } });
      showRequest(request);
      const answer = (await call(request)).data;
      fill(output, h('ol', { class: 'scores' }, answer.results.map((result) => scoreRow(result.document?.text ?? `document ${result.index}`, result.relevance_score))));
    },
  });
}

function moderationCard(list) {
  return card({
    title: 'Moderation',
    description: 'Categories and scores for a text.',
    fields: [field('Model', modelSelect(list, 'moderation')), field('Input', textarea('input', 'I will hurt you if you come back here.', 3))],
    actions: [{ label: 'Moderate', value: 'moderate' }],
    async run({ form, output, showRequest }) {
      const request = describeRequest({ method: 'POST', path: '/infra/ai/moderations', json: valuesOf(form, ['model', 'input']) });
      showRequest(request);
      const result = (await call(request)).data.results[0];
      const categories = Object.entries(result.category_scores).sort(([, a], [, b]) => b - a);
      fill(
        output,
        h('p', {}, result.flagged ? h('span', { class: 'badge status-failed' }, 'flagged') : h('span', { class: 'badge status-succeeded' }, 'not flagged')),
        h(
          'ul',
          { class: 'scores' },
          categories.map(([category, score]) => scoreRow(category, score, result.categories[category] ? h('span', { class: 'badge status-failed' }, 'flagged') : null)),
        ),
      );
    },
  });
}

const sampleDocument = [
  'The river begins in the mountains, where snow melts each spring and feeds a hundred small streams.',
  'Further down, the valley widens. Farms line both banks, and the water is drawn off into ditches that irrigate orchards and fields of wheat.',
  'By the time it reaches the coast, the river is slow and brown. It spreads into a delta of marshes, home to herons, eels and the fishermen who follow them.',
].join('\n\n');

function chunkingCard() {
  return card({
    title: 'Document chunking',
    description: 'Chunks are marked over the source text; overlaps are striped.',
    fields: [
      field('Text', textarea('text', sampleDocument, 6)),
      h('div', { class: 'row' }, field('Max characters', numberInput('max_chars', 160, { min: '100', max: '8000' })), field('Overlap characters', numberInput('overlap_chars', 30, { min: '0', max: '4000' }))),
    ],
    actions: [{ label: 'Chunk', value: 'chunk' }],
    async run({ form, output, showRequest }) {
      const json = valuesOf(form, ['text', 'max_chars', 'overlap_chars']);
      const request = describeRequest({ method: 'POST', path: '/infra/ai/documents/chunk', json });
      showRequest(request);
      const chunks = (await call(request)).data.chunks;
      fill(output, h('p', { class: 'hint' }, `${chunks.length} chunks`), chunksOverText(json.text ?? '', chunks));
    },
  });
}

function parseCard() {
  return card({
    title: 'Document parse',
    description: 'Upload a PDF, DOCX, HTML, Markdown, text or image file and see its blocks.',
    fields: [field('File', h('input', { name: 'file', type: 'file' }))],
    actions: [{ label: 'Parse', value: 'parse' }],
    async run({ form, output, showRequest }) {
      const file = form.elements.file.files[0];
      const request = describeRequest({ method: 'POST', path: '/infra/ai/documents/parse', form: file ? { file } : {} });
      showRequest(request);
      const document = (await call(request)).data;
      const meta = document.metadata;
      fill(
        output,
        h('p', { class: 'hint' }, `${meta.detected_type} · ${meta.pages ?? '?'} page(s) · ${meta.characters} characters · ${document.blocks.length} blocks`),
        h(
          'div',
          // Scrollable, so reachable by keyboard too.
          { class: 'blocks-scroll', tabindex: '0', role: 'region', 'aria-label': 'Parsed blocks' },
          h('ol', { class: 'blocks' }, document.blocks.map((block) => h('li', {}, h('span', { class: 'tag' }, block.type), ' ', block.text))),
        ),
      );
    },
  });
}

function speechCard(list) {
  return card({
    title: 'Speech',
    description: 'Text to speech, played here.',
    fields: [
      field('Model', modelSelect(list, 'speech')),
      field('Input', textarea('input', 'Hello from the dashboard.', 2)),
      h(
        'div',
        { class: 'row' },
        field('Voice', h('input', { name: 'voice', value: '' }), 'Optional, e.g. alloy'),
        field('Format', h('select', { name: 'audio_format' }, ['mp3', 'wav', 'opus', 'aac', 'flac'].map((format) => h('option', { value: format }, format)))),
      ),
    ],
    actions: [{ label: 'Speak', value: 'speak' }],
    async run({ form, output, showRequest }) {
      const request = describeRequest({ method: 'POST', path: '/infra/ai/audio/speech', json: valuesOf(form, ['model', 'input', 'voice', 'audio_format']) });
      showRequest(request);
      const speech = (await call(request)).data;
      fill(
        output,
        h('audio', { controls: true, src: `data:${speech.content_type};base64,${speech.audio}` }),
        h('p', { class: 'hint' }, `${speech.duration_seconds ?? '?'} s · ${speech.bytes} bytes · ${speech.model}`),
      );
    },
  });
}

function unavailableNote(list, capability) {
  // A key that may not read the catalog cannot know: let it try.
  if (!session.can('ai:read')) return undefined;
  return list.some((model) => model.capabilities.includes(capability) && model.available) ? undefined : `No provider on this server serves ${capability.replace('_', ' ')}.`;
}

function transcriptionCard(list) {
  return card({
    title: 'Transcription',
    description: 'Upload audio and read its transcript.',
    unavailable: unavailableNote(list, 'transcription'),
    fields: [field('Model', modelSelect(list, 'transcription')), field('Audio file', h('input', { name: 'file', type: 'file', accept: 'audio/*' }))],
    actions: [{ label: 'Transcribe', value: 'transcribe' }],
    async run({ form, output, showRequest }) {
      const { model } = valuesOf(form, ['model']);
      const file = form.elements.file.files[0];
      const request = describeRequest({ method: 'POST', path: '/infra/ai/audio/transcriptions', form: { ...(file ? { file } : {}), ...(model ? { model } : {}) } });
      showRequest(request);
      const transcript = (await call(request)).data;
      fill(output, h('p', {}, transcript.text), h('p', { class: 'hint' }, `${transcript.language ?? ''} ${transcript.duration_seconds ?? ''} s · ${transcript.model}`));
    },
  });
}

function imagesCard(list) {
  return card({
    title: 'Images',
    description: 'Generate an image from a prompt.',
    unavailable: unavailableNote(list, 'image_generation'),
    fields: [field('Model', modelSelect(list, 'image_generation')), field('Prompt', textarea('prompt', 'A lighthouse at dusk, watercolour.', 2))],
    actions: [{ label: 'Generate', value: 'generate' }],
    async run({ form, output, showRequest }) {
      const request = describeRequest({ method: 'POST', path: '/infra/ai/images/generations', json: valuesOf(form, ['model', 'prompt']) });
      showRequest(request);
      const images = (await call(request)).data;
      fill(
        output,
        images.data.map((image) => h('img', { src: `data:${image.content_type};base64,${image.b64_json}`, alt: image.revised_prompt ?? form.elements.prompt.value })),
      );
    },
  });
}

export function studioPage(main) {
  const grid = h('div', { class: 'card-grid' }, h('p', { class: 'hint' }, 'Loading models…'));
  main.append(grid);
  models().then(
    (list) =>
      fill(
        grid,
        responsesCard(list),
        chatCard(list),
        embeddingsCard(list),
        rerankCard(list),
        moderationCard(list),
        chunkingCard(),
        parseCard(),
        speechCard(list),
        transcriptionCard(list),
        imagesCard(list),
      ),
    (error) => showPageFailure(grid, error),
  );
}

