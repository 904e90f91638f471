import { createOpenAI } from '@ai-sdk/openai';
import { AIMessage, HumanMessage, ToolMessage, type AIMessageChunk } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, isStepCount, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';

/**
 * The clients people use with OpenAI-compatible services, unchanged, against this service backed
 * by a loopback OpenAI fake: a forced tool call round-trips (call, tool result, final answer),
 * streamed and not, on chat completions and on responses.
 */
let fake: FakeUpstream;
let server: TestServer;
let key: string;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({ OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['gpt-tools'] }]) });
  key = (await server.createKey()).secret;
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

const model = 'fake:gpt-tools';
const weatherParameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };

describe('Vercel AI SDK (ai + @ai-sdk/openai)', () => {
  const provider = () => createOpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: key });
  const tools = {
    get_weather: tool({ description: 'The weather in a city', inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `18°C and sunny in ${city}` }),
  };

  for (const route of ['chat', 'responses'] as const) {
    it(`generateText calls the forced tool and answers with its result (${route})`, async () => {
      const result = await generateText({
        model: provider()[route](model),
        tools,
        // Forced on the first step only: a forced tool on the answering step would loop forever.
        prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? { type: 'tool' as const, toolName: 'get_weather' as const } : 'auto' }),
        prompt: 'What should I wear?',
        stopWhen: isStepCount(2),
      });
      expect(result.steps[0]!.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
      expect(result.text).toMatch(/^The tool said: .*18°C and sunny in Paris/);
    });

    it(`streamText does the same, streamed (${route})`, async () => {
      const result = streamText({
        model: provider()[route](model),
        tools,
        prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? { type: 'tool' as const, toolName: 'get_weather' as const } : 'auto' }),
        prompt: 'What should I wear?',
        stopWhen: isStepCount(2),
      });
      expect(await result.text).toMatch(/^The tool said: .*18°C and sunny in Paris/);
      expect((await result.steps)[0]!.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
    });
  }
});

describe('LangChain (@langchain/openai)', () => {
  const weatherTool = { type: 'function' as const, function: { name: 'get_weather', description: 'The weather in a city', parameters: weatherParameters } };

  for (const useResponsesApi of [false, true]) {
    const route = useResponsesApi ? 'responses' : 'chat';
    const chat = () => new ChatOpenAI({ model, apiKey: key, configuration: { baseURL: `${server.baseUrl}/v1` }, useResponsesApi, maxRetries: 0 });

    it(`bindTools gets the forced call, then the answer from the tool result (${route})`, async () => {
      const bound = chat().bindTools([weatherTool], { tool_choice: 'get_weather' });
      const question = new HumanMessage('What should I wear?');
      const call = await bound.invoke([question]);
      expect(call.tool_calls?.[0]).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });
      const answer = await bound.invoke([question, call, new ToolMessage({ tool_call_id: call.tool_calls![0]!.id!, content: '18°C and sunny' })]);
      expect(answer.text).toBe('The tool said: 18°C and sunny');
    });

    it(`streams the tool call in chunks LangChain assembles (${route})`, async () => {
      const bound = chat().bindTools([weatherTool], { tool_choice: 'get_weather' });
      let merged: AIMessageChunk | undefined;
      for await (const chunk of await bound.stream([new HumanMessage('What should I wear?')])) merged = merged ? merged.concat(chunk) : chunk;
      expect(merged!.tool_calls?.[0]).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });
      const answer = await bound.invoke([new HumanMessage('What should I wear?'), new AIMessage({ content: '', tool_calls: merged!.tool_calls }), new ToolMessage({ tool_call_id: merged!.tool_calls![0]!.id!, content: 'rain' })]);
      expect(answer.text).toBe('The tool said: rain');
    });
  }
});
