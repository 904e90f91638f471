/**
 * Routes the client calls by other names than their router path: a route mounted as a noun
 * (`infra.ai.rerank`) gets the verb its users call it by, the audio and image routes the short
 * verbs of openai-node (`images.generate`, `images.createVariation`), and chat completions also
 * sit beside responses on the native tree. These names are the client's public API, so they
 * stay; every route not listed here is called by its router path (`ss.infra.ai.documents.parse`),
 * which is why a new route needs no entry.
 */
export const clientNames: Record<string, string[]> = {
  'infra.ai.rerank': ['infra.ai.rerank.create'],
  'infra.ai.usage': ['infra.ai.usage.get'],
  'infra.webhooks.deliveries': ['infra.webhooks.deliveries.list'],
  'infra.ai.realtime.sessions.create': ['infra.ai.realtime.createSession'],
  'infra.ai.audio.transcriptions.create': ['infra.ai.audio.transcribe'],
  'infra.ai.audio.translations.create': ['infra.ai.audio.translate'],
  'infra.ai.audio.speech.create': ['infra.ai.audio.speech'],
  'infra.ai.images.generations.create': ['infra.ai.images.generate'],
  'infra.ai.images.edits.create': ['infra.ai.images.edit'],
  'infra.ai.images.variations.create': ['infra.ai.images.variations'],
  'v1.images.generations.create': ['v1.images.generate'],
  'v1.images.edits.create': ['v1.images.edit'],
  'v1.images.variations.create': ['v1.images.createVariation'],
  'v1.chat.completions.create': ['infra.ai.responses.chatCompletions', 'v1.chat.completions.create'],
  'v1.chat.completions.stream': ['infra.ai.responses.chatCompletionsStream', 'v1.chat.completions.stream'],
};
