import { describe, expect, it } from 'vitest';
import { checkInputLimits } from '../../providers/input-limits.ts';
import type { ModelSpec } from '../../providers/spec/model-spec.ts';
import { ProviderError } from '../../providers/spec/provider-error.ts';

const model = (limits: Partial<ModelSpec['limits']>): ModelSpec => ({
  provider: 'test',
  modelId: 'test:m',
  upstreamModel: 'm',
  limits: { contextWindow: null, maxInputsPerCall: null, maxInputTokens: null, maxRequestTokens: null, ...limits },
});
const paramOf = (index: number) => (index < 0 ? 'input' : `input.${index}`);
const refusal = (spec: ModelSpec, texts: string[]) => {
  try {
    checkInputLimits(spec, texts, paramOf);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('model limits, checked before any call', () => {
  it('refuses more inputs than one call takes, naming the list', () => {
    const error = refusal(model({ maxInputsPerCall: 2 }), ['a', 'b', 'c']);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'invalid_request', param: 'input', message: 'input: 3 inputs; test:m takes at most 2 in one request: split it' });
  });

  it('refuses an input beyond its own limit, naming that input', () => {
    expect(refusal(model({ maxInputTokens: 2 }), ['abcd', 'abcdefghi'])).toMatchObject({
      param: 'input.1',
      message: 'input.1: about 3 tokens (9 characters); test:m takes at most 2 tokens (8 characters) per input',
    });
  });

  it('refuses inputs beyond the request limit together, naming the list', () => {
    expect(refusal(model({ maxRequestTokens: 3 }), ['abcd', 'abcd', 'abcd', 'a'])).toMatchObject({
      param: 'input',
      message: 'input: about 4 tokens in all; test:m takes at most 3 tokens per request: split it',
    });
  });

  it('lets through what is within every limit, and everything where there is none', () => {
    expect(refusal(model({ maxInputsPerCall: 2, maxInputTokens: 1, maxRequestTokens: 2 }), ['abcd', 'efgh'])).toBeUndefined();
    expect(refusal(model({}), Array.from({ length: 5000 }, () => 'x'.repeat(100_000)))).toBeUndefined();
  });
});
