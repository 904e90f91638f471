import { createClient, NotFoundError } from '@ai-primitives/client';

const ss = createClient({ baseUrl: process.env.AI_BASE_URL!, apiKey: process.env.AI_API_KEY! });
const model = process.env.AI_TEXT_MODEL ?? 'openai:gpt-4o-mini';

// The model catalog
const { data: models } = await ss.infra.ai.models.list();
const { data: textModel } = await ss.infra.ai.models.get(model);
console.log('models:', models.length, textModel.id);

// Text: a response, a chat completion, and a response streamed as it is written
const { data: response } = await ss.infra.ai.responses.create({ model, input: 'Write a release note.' });
console.log('response:', response.output_text);
const chat = await ss.infra.ai.responses.chatCompletions({ model, messages: [{ role: 'user', content: 'Say hello' }] });
console.log('chat:', chat.choices[0]?.message.content);
let streamed = '';
for await (const event of ss.infra.ai.responses.stream({ model, input: 'Tell me a story' })) {
  if (event.type === 'response.output_text.delta') streamed += String(event.delta);
}
console.log('streamed:', streamed);

// Retrieval building blocks
const { data: embeddings } = await ss.infra.ai.embeddings.create({ model: 'local:universal-sentence-encoder-lite', input: 'Managed retrieval primitives' });
console.log('embedding dimensions:', embeddings.data[0]?.embedding.length);
const { data: reranked } = await ss.infra.ai.rerank.create({
  model: 'local:bm25-semantic-rerank',
  query: 'Which guide explains async AI operations?',
  documents: ['Indexes auto-embed text on upsert.', 'Use /infra/ai/operations/:operation_id to inspect async AI operations.'],
});
console.log('best document:', reranked.results[0]?.index);
const { data: moderation } = await ss.infra.ai.moderations.create({ model: 'local:moderation-offline', input: 'Have a lovely day' });
console.log('flagged:', moderation.results[0]?.flagged);

// Documents: parse in the background, wait for the result, then chunk
const file = { data: btoa('# Guide\n\nAtomic AI primitives keep SQL as the source of truth.'), content_type: 'text/markdown' };
const accepted = await ss.infra.ai.documents.parse({ file, async: true });
const parsed = await ss.infra.ai.operations.result(accepted);
console.log('parsed blocks:', parsed.blocks.map((block) => block.type).join(','));
const { data: chunks } = await ss.infra.ai.documents.chunk({ text: 'Atomic AI primitives keep SQL as the source of truth. '.repeat(20), max_chars: 240, overlap_chars: 40 });
console.log('chunks:', chunks.chunks.length);

// Realtime: a short-lived session for a browser or device
const { data: session } = await ss.infra.ai.realtime.createSession({ ttl_seconds: 900, voice: 'alloy' });
console.log('realtime session:', session.object);

// Operations: start work in the background, cancel it, wait until it has ended
const slow = await ss.infra.ai.responses.create({ model: process.env.AI_SLOW_MODEL ?? model, input: 'A long essay', async: true });
await ss.infra.ai.operations.cancel(slow.data.id);
const ended = await ss.infra.ai.operations.wait(slow.data.id);
console.log('operation:', ended.status);

// Errors are typed, with the status, code and request id the service answered
try {
  await ss.infra.ai.models.get('nowhere:no-such-model');
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error;
  console.log('error:', error.status, error.code, error.requestId !== null);
}
