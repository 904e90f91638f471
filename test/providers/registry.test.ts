import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { loadProviders, type ProviderRegistry } from '../../providers/registry.ts';
import { ProviderError } from '../../providers/spec/provider-error.ts';
import { createOpenAiCompatible } from '../../providers/openai/provider.ts';
import { createWorkersAi } from '../../providers/workers-ai/provider.ts';

let registry: ProviderRegistry;

beforeAll(async () => {
  const config = loadConfig({
    LOCAL_MODELS_DIR: '/nonexistent/models',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_MODELS: 'gpt-4o-mini,text-embedding-3-small',
    WORKERS_AI_ACCOUNT_ID: 'acct',
    WORKERS_AI_API_TOKEN: 'token',
    WORKERS_AI_MODELS: 'bge-small-en-v1.5',
  });
  registry = await loadProviders(config);
});
afterAll(() => registry.close());

describe('the provider registry', () => {
  it('lists each offline family\'s models from the capability table', () => {
    expect(registry.catalog.list({ provider: 'local' }).map((entry) => entry.id)).toEqual([
      'local:universal-sentence-encoder-lite',
      'local:bm25-semantic-rerank',
      'local:moderation-offline',
      'local:espeak-ng',
    ]);
    expect(registry.catalog.find('local:espeak-ng')).toMatchObject({ input_modalities: ['text'], output_modalities: ['audio'] });
  });

  it('resolves a capability and a model to one adapter, however the model is named', () => {
    const byId = registry.resolve('text_generation', 'openai:gpt-4o-mini');
    expect(byId).toMatchObject({ provider: 'openai', modelId: 'openai:gpt-4o-mini', upstreamModel: 'gpt-4o-mini' });
    expect(registry.resolve('text_generation', 'gpt-4o-mini')).toBe(byId);
    expect(registry.resolve('tool_calling', 'openai:gpt-4o-mini')).toBe(byId);
    expect(typeof byId.generate).toBe('function');
  });

  it('carries the model\'s limits: the catalog entry\'s, and those of the upstream\'s API', () => {
    expect(registry.resolve('embeddings', 'openai:text-embedding-3-small').limits).toEqual({
      contextWindow: 8191,
      maxInputsPerCall: 2048,
      maxInputTokens: null,
      maxRequestTokens: null,
    });
    expect(registry.resolve('rerank', 'local:bm25-semantic-rerank').limits).toMatchObject({ maxInputTokens: 4096, maxRequestTokens: 300_000 });
    expect(registry.resolve('embeddings', 'workers-ai:bge-small-en-v1.5')).toMatchObject({ provider: 'workers-ai', upstreamModel: '@cf/baai/bge-small-en-v1.5' });
  });

  it('answers a 400 naming the model where no adapter of the family serves it', () => {
    const failure = (() => {
      try {
        return registry.resolve('transcription', 'local:espeak-ng');
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'invalid_request', param: 'model', message: 'model: local:espeak-ng has no transcription adapter' });
  });
});

describe('upstream providers as configuration', () => {
  it('joins paths under an OpenAI-compatible base and sends its key, built once', () => {
    const config = createOpenAiCompatible({ name: 'groq', baseUrl: 'https://api.groq.com/openai/v1/', apiKey: 'gsk', timeoutMs: 1000, tokenLimitField: 'max_tokens' });
    expect(config).toMatchObject({ provider: 'groq', name: 'Upstream "groq"', timeoutMs: 1000 });
    expect(config.url('/chat/completions')).toBe('https://api.groq.com/openai/v1/chat/completions');
    expect(config.headers()).toEqual({ authorization: 'Bearer gsk' });
    expect(config.headers()).toBe(config.headers());
    expect(createOpenAiCompatible({ name: 'ollama', baseUrl: 'http://localhost:11434/v1', apiKey: undefined, timeoutMs: 1, tokenLimitField: 'max_tokens' }).headers()).toEqual({});
  });

  it('runs a Workers AI model at the account\'s run endpoint, its name unencoded', () => {
    const config = createWorkersAi({ accountId: 'a b', apiToken: 't', baseUrl: 'https://api.cloudflare.com/client/v4/', models: undefined, timeoutMs: 1 });
    expect(config).toMatchObject({ provider: 'workers-ai', name: 'Workers AI' });
    expect(config.url('@cf/meta/llama-3.1-8b-instruct')).toBe('https://api.cloudflare.com/client/v4/accounts/a%20b/ai/run/@cf/meta/llama-3.1-8b-instruct');
    expect(config.headers()).toEqual({ authorization: 'Bearer t' });
  });
});
