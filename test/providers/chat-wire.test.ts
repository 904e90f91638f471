import { describe, expect, it } from 'vitest';
import { chatChunkSchema, chatCompletionSchema, mapFinishReason, mapLogprobs, mapToolCalls, mapUsage, toChatCompletionBody } from '../../providers/openai/chat-wire.ts';
import type { TextGenerationRequest } from '../../providers/spec/text-generation.ts';

const base: TextGenerationRequest = { projectId: 'p', messages: [], responseFormat: { type: 'text' } };

describe('the Chat Completions body', () => {
  it('sends only what the request sets: model and messages, nothing else', () => {
    const body = toChatCompletionBody('gpt-4o-mini', { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }, false);
    expect(body).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('maps every turn: developer as system, text parts as paragraphs, images as parts, tool calls and results', () => {
    const body = toChatCompletionBody(
      'm',
      {
        ...base,
        messages: [
          { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
          { role: 'user', content: [{ type: 'text', text: 'One.' }, { type: 'text', text: 'Two.' }] },
          { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', url: 'https://example.com/a.png', detail: 'low' }] },
          { role: 'assistant', content: [], toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"a"}' }] },
          { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"found":true}' }] },
        ],
      },
      false,
    );
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'One.\n\nTwo.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        ],
      },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"found":true}' },
    ]);
  });

  it('names every option as the wire does, with tools, a forced function, a JSON schema and streamed usage', () => {
    const body = toChatCompletionBody(
      'gpt-4o',
      {
        ...base,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather?' }] }],
        temperature: 0.2,
        maxOutputTokens: 64,
        seed: 7,
        topP: 0.9,
        stop: ['\n\n'],
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        logitBias: { '50256': -100 },
        logprobs: true,
        topLogprobs: 2,
        user: 'end-user-1',
        safetyIdentifier: 'hash-1',
        reasoningEffort: 'low',
        verbosity: 'low',
        promptCacheKey: 'weather',
        tools: [{ name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
        toolChoice: { type: 'function', name: 'weather' },
        parallelToolCalls: false,
        responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
      },
      true,
    );
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather?' }],
      temperature: 0.2,
      max_tokens: 64,
      seed: 7,
      top_p: 0.9,
      stop: ['\n\n'],
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logit_bias: { '50256': -100 },
      logprobs: true,
      top_logprobs: 2,
      user: 'end-user-1',
      safety_identifier: 'hash-1',
      reasoning_effort: 'low',
      verbosity: 'low',
      prompt_cache_key: 'weather',
      tools: [
        {
          type: 'function',
          function: { name: 'weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends a plain tool choice as its word, and no parallel_tool_calls without tools', () => {
    const body = toChatCompletionBody('m', { ...base, toolChoice: { type: 'required' }, parallelToolCalls: true, responseFormat: { type: 'json_object' } }, false);
    expect(body).toEqual({ model: 'm', messages: [], tool_choice: 'required', response_format: { type: 'json_object' } });
  });
});

describe('reading a completion', () => {
  const completion = chatCompletionSchema.parse({
    id: 'chatcmpl-1',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        finish_reason: 'tool_calls',
        logprobs: { content: [{ token: 'x', logprob: -0.1 }] },
      },
    ],
    usage: { prompt_tokens: 21, completion_tokens: 5, total_tokens: 26 },
  });

  it('maps tool calls, usage and log probabilities', () => {
    const choice = completion.choices[0]!;
    expect(mapToolCalls(choice.message.tool_calls)).toEqual([{ id: 'call_9', name: 'weather', arguments: '{"city":"Oslo"}' }]);
    expect(mapUsage(completion.usage!)).toEqual({ inputTokens: 21, outputTokens: 5 });
    // Cached input and reasoning output, where the upstream reports them.
    const detailed = chatCompletionSchema.parse({
      ...completion,
      usage: { prompt_tokens: 21, completion_tokens: 5, total_tokens: 26, prompt_tokens_details: { cached_tokens: 16 }, completion_tokens_details: { reasoning_tokens: 3 } },
    });
    expect(mapUsage(detailed.usage!)).toEqual({ inputTokens: 21, outputTokens: 5, cachedInputTokens: 16, reasoningTokens: 3 });
    expect(mapLogprobs(choice.logprobs)).toEqual({ content: [{ token: 'x', logprob: -0.1 }], refusal: null });
    expect(mapLogprobs(null)).toBeUndefined();
  });

  it('maps finish reasons, the legacy function_call included; anything unknown is a stop', () => {
    expect(['stop', 'length', 'content_filter', 'tool_calls', 'function_call', 'eos', null, undefined].map(mapFinishReason)).toEqual([
      'stop',
      'length',
      'content_filter',
      'tool_calls',
      'tool_calls',
      'stop',
      'stop',
      'stop',
    ]);
  });

  it('reads a stream chunk of a tool call, and a final usage-only chunk', () => {
    const delta = chatChunkSchema.parse({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_9', function: { name: 'weather', arguments: '{"ci' } }] } }] });
    expect(delta.choices?.[0]?.delta?.tool_calls).toEqual([{ index: 0, id: 'call_9', function: { name: 'weather', arguments: '{"ci' } }]);
    const last = chatChunkSchema.parse({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } });
    expect(mapUsage(last.usage!)).toEqual({ inputTokens: 3, outputTokens: 4 });
  });
});
