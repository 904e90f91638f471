import type { ServerResponse } from 'node:http';
import { lastUserText, sendJson, startEventStream, startFakeUpstream, type FakeUpstream, type RecordedRequest } from './fake-upstream-server.ts';

export const fakeAccountId = 'acct-123';

/**
 * Cloudflare Workers AI's REST run endpoint for text generation, in its own wire format: the v4
 * envelope for JSON, and for streams bare `data:` frames with `response` deltas and random `p`
 * padding, a final frame with usage, then `[DONE]`. Answers `echo: <last user text>`.
 */
export async function startFakeWorkersAi(): Promise<FakeUpstream> {
  return startFakeUpstream((request: RecordedRequest, res: ServerResponse) => {
    const match = /^\/client\/v4\/accounts\/([^/]+)\/ai\/run\/(@cf\/.+)$/.exec(request.url);
    if (!match || match[1] !== fakeAccountId) {
      return sendJson(res, 404, { result: null, success: false, errors: [{ code: 3042, message: 'Invalid model name' }], messages: [] });
    }
    if (request.headers.authorization !== 'Bearer cf-token') {
      return sendJson(res, 401, { success: false, errors: [{ code: 10000, message: 'Authentication error' }] });
    }
    if (match[2] === '@cf/meta/llama-3.1-8b-instruct-busy') {
      return sendJson(res, 429, { result: null, success: false, errors: [{ code: 3040, message: 'Capacity temporarily exceeded' }], messages: [] });
    }
    const usage = { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 };
    // Traditional function calling: a call to the first tool, arguments as an object, until the
    // last message is the tool's result.
    const last = request.body.messages.at(-1);
    if (request.body.tools?.length && last?.role !== 'tool') {
      return sendJson(res, 200, { result: { response: null, tool_calls: [{ name: request.body.tools[0].name, arguments: { city: 'Paris' } }], usage }, success: true, errors: [], messages: [] });
    }
    const text = last?.role === 'tool' ? `The tool said: ${last.content}` : `echo: ${lastUserText(request.body.messages)}`;
    if (!request.body.stream) {
      return sendJson(res, 200, { result: { response: text, tool_calls: [], usage }, success: true, errors: [], messages: [] });
    }
    const send = startEventStream(res);
    for (const word of text.split(/(?<= )/)) send(JSON.stringify({ response: word, p: 'abdefgh' }));
    send(JSON.stringify({ response: '', usage }));
    send('[DONE]');
    res.end();
  });
}
