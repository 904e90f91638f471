import type { ModelDescription } from '../spec/model-description.ts';

type KnownModel = Omit<ModelDescription, 'provider' | 'name'>;

/**
 * Workers AI models this service knows how to call, keyed by the short name used in
 * `workers-ai:<name>` ids. Prices follow Cloudflare's published per-unit prices in USD, charged as
 * service tokens one-for-one.
 */
export const knownWorkersAiModels: Record<string, KnownModel> = {
  'llama-3.1-8b-instruct': {
    upstreamModel: '@cf/meta/llama-3.1-8b-instruct',
    displayName: 'Llama 3.1 8B Instruct',
    capabilities: ['text_generation'],
    contextWindow: 7968,
    maxOutputTokens: 2048,
    pricing: { unit: 'token', input_per_million: '0.282', output_per_million: '0.827' },
  },
  'llama-3.3-70b-instruct-fp8-fast': {
    upstreamModel: '@cf/meta/llama-3.3-70b-instruct-fp8-fast',
    displayName: 'Llama 3.3 70B Instruct (fp8, fast)',
    // Workers AI's traditional function calling: tools in, `tool_calls` out.
    capabilities: ['text_generation', 'tool_calling'],
    contextWindow: 24000,
    maxOutputTokens: 2048,
    pricing: { unit: 'token', input_per_million: '0.293', output_per_million: '2.253' },
  },
  'bge-m3': {
    upstreamModel: '@cf/baai/bge-m3',
    displayName: 'BGE M3',
    capabilities: ['embeddings'],
    contextWindow: 8192,
    pricing: { unit: 'token', input_per_million: '0.012', output_per_million: '0' },
  },
  'bge-small-en-v1.5': {
    upstreamModel: '@cf/baai/bge-small-en-v1.5',
    displayName: 'BGE small (English)',
    capabilities: ['embeddings'],
    contextWindow: 512,
    pricing: { unit: 'token', input_per_million: '0.02', output_per_million: '0' },
  },
  'bge-base-en-v1.5': {
    upstreamModel: '@cf/baai/bge-base-en-v1.5',
    displayName: 'BGE base (English)',
    capabilities: ['embeddings'],
    contextWindow: 512,
    pricing: { unit: 'token', input_per_million: '0.067', output_per_million: '0' },
  },
  'bge-large-en-v1.5': {
    upstreamModel: '@cf/baai/bge-large-en-v1.5',
    displayName: 'BGE large (English)',
    capabilities: ['embeddings'],
    contextWindow: 512,
    pricing: { unit: 'token', input_per_million: '0.204', output_per_million: '0' },
  },
  'bge-reranker-base': {
    upstreamModel: '@cf/baai/bge-reranker-base',
    displayName: 'BGE reranker base',
    capabilities: ['rerank'],
    contextWindow: 512,
    pricing: { unit: 'token', input_per_million: '0.003', output_per_million: '0' },
  },
  'llama-guard-3-8b': {
    upstreamModel: '@cf/meta/llama-guard-3-8b',
    displayName: 'Llama Guard 3 8B',
    capabilities: ['moderation'],
    contextWindow: 131072,
    pricing: { unit: 'token', input_per_million: '0.484', output_per_million: '0.03' },
  },
  'whisper-large-v3-turbo': {
    upstreamModel: '@cf/openai/whisper-large-v3-turbo',
    displayName: 'Whisper large v3 turbo',
    capabilities: ['transcription', 'translation'],
    pricing: { unit: 'audio_second', per_unit: '0.0000085' },
  },
  melotts: {
    upstreamModel: '@cf/myshell-ai/melotts',
    displayName: 'MeloTTS',
    capabilities: ['speech'],
    pricing: { unit: 'audio_second', per_unit: '0.0000034' },
  },
  'flux-1-schnell': {
    upstreamModel: '@cf/black-forest-labs/flux-1-schnell',
    displayName: 'FLUX.1 [schnell]',
    capabilities: ['image_generation'],
    pricing: { unit: 'image', per_unit: '0.00011' },
  },
};
