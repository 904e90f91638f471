import type { ServerResponse } from 'node:http';
import { HeldAnswers } from './held-answers.ts';
import { lastUserText, sendJson, sleep, startEventStream, startFakeUpstream, type FakeUpstream, type RecordedRequest } from './fake-upstream-server.ts';

/**
 * An OpenAI-compatible upstream speaking the real Chat Completions wire format. The model name
 * picks the behaviour:
 * - any ordinary name: answers `echo: <last user text>` (usage 7 in, 3 out), streamed word by word
 * - `rate-limited`: 429 with Retry-After: 7; `broken`: 500; `refuses`: 400 context_length_exceeded
 * - `garbled`: 200 whose body is not JSON
 * - `slow`: waits 2 s before answering; `endless`: streams a word every 20 ms until the client leaves (so does any
 *   model asked, as its last user text, to `stream forever`: a real OpenAI model name, for its tokenizer)
 * - `paced`: streams the role chunk at once, then each word 5 ms after the last (like a real model)
 * - `pausing`: streams one word, pauses 600 ms, then finishes; `dies`: streams two words, then drops the connection
 * - `sleepy`: answers after 1.5 s (or as soon as the client leaves); `flaky-<anything>`: 503 twice, then answers
 * - `gated`: holds every request until the test opens the gate
 * - `held`: holds each request until the test releases it by its last user text (see HeldAnswers)
 * - `verbose`: answers as an ordinary name but reports usage of 28 in, 45 out, whatever `max_tokens` says
 *   (an upstream counting more than the caller's bound, as reasoning models do)
 */
export interface FakeOpenAi extends FakeUpstream {
  gate: { waiting(): number; open(): void };
  held: HeldAnswers;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const calls = new Map<string, number>();
  let waiting = 0;
  let openGate: () => void = () => {};
  const gateOpened = new Promise<void>((resolve) => (openGate = resolve));
  const held = new HeldAnswers();
  const fake = await startFakeUpstream(async (request: RecordedRequest, res: ServerResponse) => {
    if (request.url !== '/v1/chat/completions') return sendJson(res, 404, { error: { message: `Invalid URL (POST ${request.url})`, type: 'invalid_request_error' } });
    const { model, messages, stream } = request.body;
    const created = 1_700_000_000;
    const id = 'chatcmpl-fake';
    switch (model) {
      case 'rate-limited':
        return sendJson(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '7' });
      case 'broken':
        return sendJson(res, 500, { error: { message: 'The server had an error', type: 'server_error' } });
      case 'garbled':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"id": "chatcmpl-cut');
      case 'refuses':
        return sendJson(res, 400, { error: { message: "This model's maximum context length is 8 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' } });
      case 'slow':
        await sleep(2000);
        break;
      case 'gated':
        waiting++;
        await gateOpened;
        break;
      case 'held':
        await held.hold(lastUserText(messages), request, res);
        if (request.wasAborted()) return;
        break;
      case 'sleepy':
        await Promise.race([sleep(1500), request.aborted]);
        if (request.wasAborted()) return;
        break;
    }
    if (typeof model === 'string' && model.startsWith('flaky-')) {
      const count = (calls.get(model) ?? 0) + 1;
      calls.set(model, count);
      if (count <= 2) return sendJson(res, 503, { error: { message: 'Service temporarily unavailable', type: 'server_error' } });
    }
    const usage = model === 'verbose' ? { prompt_tokens: 28, completion_tokens: 45, total_tokens: 73 } : { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
    const completion = (message: object, finishReason: string) => ({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, logprobs: logprobsOf('echo'), finish_reason: finishReason }],
      usage,
    });
    // Log probabilities when asked: one token per piece of text, as OpenAI shapes them.
    const logprobsOf = (token: string) =>
      request.body.logprobs ? { content: [{ token, logprob: -0.25, bytes: [...Buffer.from(token)], top_logprobs: [] }], refusal: null } : null;
    const chunk = (delta: { content?: string | null; [field: string]: unknown }, finishReason: string | null) =>
      JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: delta.content ? logprobsOf(delta.content) : null, finish_reason: finishReason }],
        usage: null,
      });
    // Tools, as OpenAI answers them: a call when the request forces one (or the user asks for
    // the weather), then, once the tool's result is the last message, text that uses it.
    const tools = request.body.tools as { function: { name: string } }[] | undefined;
    const last = messages.at(-1);
    const choice = request.body.tool_choice;
    const wantsCall = tools?.length && last?.role !== 'tool' && (choice === 'required' || typeof choice === 'object' || /weather/i.test(lastUserText(messages)));
    if (wantsCall) {
      const name = typeof choice === 'object' ? choice.function.name : tools[0]!.function.name;
      const call = { id: 'call_fake1', type: 'function', function: { name, arguments: '{"city":"Paris"}' } };
      if (!stream) return sendJson(res, 200, completion({ content: null, tool_calls: [call] }, 'tool_calls'));
      const send = startEventStream(res);
      send(chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name, arguments: '' } }] }, null));
      send(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, null));
      send(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, null));
      send(chunk({}, 'tool_calls'));
      if (request.body.stream_options?.include_usage) send(JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage }));
      send('[DONE]');
      return res.end();
    }
    const text = last?.role === 'tool' ? `The tool said: ${typeof last.content === 'string' ? last.content : JSON.stringify(last.content)}` : `echo: ${lastUserText(messages)}`;
    if (!stream) return sendJson(res, 200, completion({ content: text }, 'stop'));
    const send = startEventStream(res);
    send(chunk({ role: 'assistant', content: '' }, null));
    if (model === 'endless' || lastUserText(messages) === 'stream forever') {
      while (!request.wasAborted()) {
        send(chunk({ content: 'more ' }, null));
        await sleep(20);
      }
      return;
    }
    const words = text.split(/(?<= )/);
    for (const [index, word] of words.entries()) {
      if (model === 'paced') await sleep(5);
      send(chunk({ content: word }, null));
      if (model === 'pausing' && index === 0) await sleep(600);
      if (model === 'dies' && index === 1) {
        await sleep(50);
        return res.destroy();
      }
    }
    send(chunk({}, 'stop'));
    if (request.body.stream_options?.include_usage) {
      send(JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage }));
    }
    send('[DONE]');
    res.end();
  });
  return Object.assign(fake, { gate: { waiting: () => waiting, open: () => openGate() }, held });
}
