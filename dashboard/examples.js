// A working example request for each route of /openapi.json, for the API Console. Ids of things
// the project owns (operations, buckets, objects, responses, endpoints) come from `known`, read
// from the project when the console opens; test/dashboard checks every example passes validation.

/** A 1×1 PNG. */
const pixelPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** A tenth of a second of 16 kHz mono silence as WAV. */
function silentWav() {
  const samples = 1600;
  const bytes = new Uint8Array(44 + samples * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (offset, text) => [...text].forEach((char, index) => view.setUint8(offset + index, char.charCodeAt(0)));
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, 16000, true);
  view.setUint32(28, 32000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples * 2, true);
  return btoa(String.fromCharCode(...bytes));
}

const markdown = btoa('# Field notes\n\nThe river rose two metres overnight.\n\n- Bridge closed\n- Ferry running\n');
const story = 'Once upon a time';
const chunkText =
  'The river begins in the mountains, where snow melts each spring.\n\nFurther down, the valley widens and farms line both banks. ' +
  'By the time it reaches the coast, the river is slow and brown, spreading into a delta of marshes.';

const audio = () => ({ base64: silentWav(), name: 'silence.wav', content_type: 'audio/wav' });

/** Route key "METHOD /path" → example; functions receive the ids known in the project. */
const examples = {
  'GET /infra/ai/models': { query: { capability: 'text_generation' } },
  'GET /infra/ai/models/{model_id}': { path: { model_id: 'local:stories260K' } },
  'POST /infra/ai/responses': { body: { input: story, max_output_tokens: 40, temperature: 0 } },
  'GET /infra/ai/operations': { query: { status: 'queued', limit: '10' } },
  'GET /infra/ai/operations/{operation_id}': (known) => ({ path: { operation_id: known.operationId ?? '' } }),
  'POST /infra/ai/operations/{operation_id}/cancel': (known) => ({ path: { operation_id: known.operationId ?? '' }, body: {} }),
  'GET /infra/ai/usage': { query: { limit: '20' } },
  'POST /infra/ai/embeddings': { body: { input: ['A cat sat on the mat.', 'A kitten rests on a rug.'] } },
  'POST /infra/ai/documents/chunk': { body: { text: chunkText, max_chars: 120, overlap_chars: 20 } },
  'POST /infra/ai/documents/parse': { body: { file: { data: markdown, content_type: 'text/markdown', filename: 'notes.md' } } },
  'POST /infra/ai/rerank': { body: { query: 'Which animal purrs?', documents: ['Dogs bark at strangers.', 'Cats purr when content.', 'The sun is a star.'], top_n: 2 } },
  'POST /infra/ai/tokenize': { body: { model: 'local:stories260K', input: 'Once upon a time, there was a little cat.' } },
  'POST /infra/ai/moderations': { body: { input: 'I will hurt you if you come back here.' } },
  'POST /infra/ai/realtime/sessions': { body: { modalities: ['text'], ttl_seconds: 60 } },
  'POST /infra/ai/audio/speech': { body: { input: 'Hello from the API console.', audio_format: 'wav' } },
  'POST /infra/ai/audio/transcriptions': () => ({ body: { ...audio(), language: 'en' } }),
  'POST /infra/ai/audio/translations': () => ({ body: audio() }),
  'POST /infra/ai/images/generations': { body: { prompt: 'A lighthouse at dusk, watercolour.', size: '512x512' } },
  'POST /infra/ai/images/edits': { body: { prompt: 'Make it blue.', image: { base64: pixelPng, content_type: 'image/png', name: 'pixel.png' } } },
  'POST /infra/ai/images/variations': { body: { image: { base64: pixelPng, content_type: 'image/png', name: 'pixel.png' } } },
  'POST /infra/storage/buckets': { body: { name: 'console-uploads' } },
  'GET /infra/storage/buckets': {},
  'GET /infra/storage/buckets/{bucket_id}/objects': (known) => ({ path: { bucket_id: known.bucketId ?? '' }, query: { limit: '20' } }),
  'PUT /infra/storage/buckets/{bucket_id}/objects/{key}': (known) => ({
    path: { bucket_id: known.bucketId ?? '', key: 'notes/hello.txt' },
    raw: 'Hello from the API console.\n',
    contentType: 'text/plain',
  }),
  'HEAD /infra/storage/buckets/{bucket_id}/objects/{key}': (known) => ({ path: { bucket_id: known.bucketId ?? '', key: known.objectKey ?? '' } }),
  'GET /infra/storage/buckets/{bucket_id}/objects/{key}': (known) => ({ path: { bucket_id: known.bucketId ?? '', key: known.objectKey ?? '' } }),
  'DELETE /infra/storage/buckets/{bucket_id}/objects/{key}': (known) => ({ path: { bucket_id: known.bucketId ?? '', key: known.objectKey ?? '' } }),
  'POST /infra/webhooks/endpoints': { body: { url: 'https://example.com/hooks/ai', topics: ['reports'] } },
  'GET /infra/webhooks/endpoints': {},
  'DELETE /infra/webhooks/endpoints/{endpoint_id}': (known) => ({ path: { endpoint_id: known.endpointId ?? '' } }),
  'GET /infra/webhooks/deliveries': { query: { limit: '20' } },
  'GET /v1/models': {},
  'GET /v1/models/{model_id}': { path: { model_id: 'local:stories260K' } },
  'POST /v1/responses': { body: { model: 'local:stories260K', input: story, max_output_tokens: 40 } },
  'GET /v1/responses/{response_id}': (known) => ({ path: { response_id: known.responseId ?? '' } }),
  'DELETE /v1/responses/{response_id}': (known) => ({ path: { response_id: known.responseId ?? '' } }),
  'POST /v1/responses/{response_id}/cancel': (known) => ({ path: { response_id: known.responseId ?? '' }, body: {} }),
  'GET /v1/responses/{response_id}/input_items': (known) => ({ path: { response_id: known.responseId ?? '' }, query: { limit: '20' } }),
  'POST /v1/chat/completions': { body: { model: 'local:stories260K', messages: [{ role: 'user', content: story }], max_tokens: 40 } },
  'POST /v1/embeddings': { body: { model: 'local:universal-sentence-encoder-lite', input: 'A cat sat on the mat.' } },
  'POST /v1/moderations': { body: { input: 'I will hurt you if you come back here.' } },
  'POST /v1/realtime/sessions': { body: { modalities: ['text'] } },
  'POST /v1/realtime/client_secrets': { body: { expires_after: { anchor: 'created_at', seconds: 60 }, session: { type: 'realtime' } } },
  'POST /v1/audio/speech': { body: { model: 'local:espeak-ng', input: 'Hello from the API console.', voice: 'alloy', response_format: 'wav' } },
  'POST /v1/audio/transcriptions': () => ({ body: audio() }),
  'POST /v1/audio/translations': () => ({ body: audio() }),
  'POST /v1/images/generations': { body: { prompt: 'A lighthouse at dusk, watercolour.', size: '512x512' } },
  'POST /v1/images/edits': { body: { prompt: 'Make it blue.', image: { base64: pixelPng, content_type: 'image/png', name: 'pixel.png' } } },
  'POST /v1/images/variations': { body: { image: { base64: pixelPng, content_type: 'image/png', name: 'pixel.png' } } },
};

/** The example for a route: `{ path, query, body }` or, for raw uploads, `{ path, raw, contentType }`; {} when none is written. */
export function exampleFor(method, path, known = {}) {
  const example = examples[`${method.toUpperCase()} ${path}`];
  return (typeof example === 'function' ? example(known) : example) ?? {};
}

export const exampleRoutes = Object.keys(examples);
