import type { ModelDescription } from '../spec/model-description.ts';

type KnownModel = Omit<ModelDescription, 'provider' | 'upstreamModel'>;

/**
 * What OpenAI publishes about its common models, so a configured `openai` upstream gets a useful
 * catalog without hand-written settings. Prices are OpenAI's list prices per million tokens (or per
 * unit), charged as service tokens one-for-one.
 */
export const knownOpenAiModels: Record<string, KnownModel> = {
  'gpt-4o-mini': {
    displayName: 'GPT-4o mini',
    capabilities: ['text_generation'],
    inputModalities: ['text', 'image'],
    contextWindow: 128000,
    maxOutputTokens: 16384,
    pricing: { unit: 'token', input_per_million: '0.15', output_per_million: '0.6' },
  },
  'gpt-4o': {
    displayName: 'GPT-4o',
    capabilities: ['text_generation'],
    inputModalities: ['text', 'image'],
    contextWindow: 128000,
    maxOutputTokens: 16384,
    pricing: { unit: 'token', input_per_million: '2.5', output_per_million: '10' },
  },
  'text-embedding-3-small': {
    displayName: 'text-embedding-3-small',
    capabilities: ['embeddings'],
    contextWindow: 8191,
    pricing: { unit: 'token', input_per_million: '0.02', output_per_million: '0' },
  },
  'text-embedding-3-large': {
    displayName: 'text-embedding-3-large',
    capabilities: ['embeddings'],
    contextWindow: 8191,
    pricing: { unit: 'token', input_per_million: '0.13', output_per_million: '0' },
  },
  'omni-moderation-latest': {
    displayName: 'Omni moderation',
    capabilities: ['moderation'],
    inputModalities: ['text', 'image'],
    pricing: { unit: 'call', per_unit: '0' },
  },
  'whisper-1': {
    displayName: 'Whisper',
    capabilities: ['transcription', 'translation'],
    pricing: { unit: 'audio_second', per_unit: '0.0001' },
  },
  'tts-1': {
    displayName: 'TTS 1',
    capabilities: ['speech'],
    maxOutputTokens: null,
    pricing: { unit: 'character', per_unit: '0.000015' },
  },
  'tts-1-hd': {
    displayName: 'TTS 1 HD',
    capabilities: ['speech'],
    maxOutputTokens: null,
    pricing: { unit: 'character', per_unit: '0.00003' },
  },
  'dall-e-3': {
    displayName: 'DALL·E 3',
    capabilities: ['image_generation'],
    pricing: { unit: 'image', per_unit: '0.04' },
  },
  'dall-e-2': {
    displayName: 'DALL·E 2',
    capabilities: ['image_generation', 'image_edit', 'image_variation'],
    pricing: { unit: 'image', per_unit: '0.02' },
  },
};
