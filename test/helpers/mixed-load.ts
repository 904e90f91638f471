import { bearer } from './test-server.ts';

/** One answer the load got: a transport failure (the server gone, no answer in 20 s) is status 0. */
export interface Answer {
  kind: string;
  status: number;
  retryAfter: string | null;
  requestId: string | null;
  sentAt: number;
  answeredAt: number;
}

export interface MixedLoad {
  answers: Answer[];
  /** Async operations the server accepted (202), in order. */
  operationIds: string[];
  stop(): Promise<void>;
}

const markdown = Buffer.from('# Notes\n\nA short document, parsed in the background.').toString('base64');

/**
 * Steady mixed load on one server, as clients would send it: the model list, local embeddings,
 * chat completions on `chatModel` when one is given (a priced model makes every call charge the
 * ledger), async document parses submitted and their operations polled, and /readyz. Each stream
 * sends its next request as soon as its last one is answered, after `pauseMs`.
 */
export function startMixedLoad(
  baseUrl: string,
  key: string,
  options: { streams?: Partial<Record<Kind, number>>; pauseMs?: number; chatModel?: string } = {},
): MixedLoad {
  const streams = { models: 3, embeddings: 2, chat: options.chatModel ? 2 : 0, parse: 1, poll: 1, readyz: 1, ...options.streams };
  const pauseMs = options.pauseMs ?? 5;
  const answers: Answer[] = [];
  const operationIds: string[] = [];
  let running = true;
  const json = { ...bearer(key), 'content-type': 'application/json' };

  const requests: Record<Kind, () => Promise<Response> | undefined> = {
    models: () => fetch(`${baseUrl}/v1/models`, { headers: bearer(key), signal: AbortSignal.timeout(20_000) }),
    embeddings: () => fetch(`${baseUrl}/v1/embeddings`, { method: 'POST', headers: json, body: JSON.stringify({ input: 'steady load' }), signal: AbortSignal.timeout(20_000) }),
    chat: () =>
      fetch(`${baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ model: options.chatModel, messages: [{ role: 'user', content: 'steady load' }] }),
        signal: AbortSignal.timeout(20_000),
      }),
    parse: () =>
      fetch(`${baseUrl}/infra/ai/documents/parse`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ file: { data: markdown, content_type: 'text/markdown' }, async: true }),
        signal: AbortSignal.timeout(20_000),
      }),
    poll: () => {
      const id = operationIds[Math.floor(Math.random() * operationIds.length)];
      return id === undefined ? undefined : fetch(`${baseUrl}/infra/ai/operations/${id}`, { headers: bearer(key), signal: AbortSignal.timeout(20_000) });
    },
    readyz: () => fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(20_000) }),
  };

  const stream = async (kind: Kind) => {
    while (running) {
      const sentAt = Date.now();
      const sent = requests[kind]();
      if (sent) {
        let status = 0;
        let retryAfter: string | null = null;
        let requestId: string | null = null;
        try {
          const response = await sent;
          status = response.status;
          retryAfter = response.headers.get('retry-after');
          requestId = response.headers.get('x-request-id');
          const body = (await response.json()) as { data?: { id?: string } };
          if (kind === 'parse' && status === 202 && body.data?.id) operationIds.push(body.data.id);
        } catch {
          // status 0: no answer
        }
        answers.push({ kind, status, retryAfter, requestId, sentAt, answeredAt: Date.now() });
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const all = Promise.all((Object.keys(streams) as Kind[]).flatMap((kind) => Array.from({ length: streams[kind] }, () => stream(kind))));
  return {
    answers,
    operationIds,
    async stop() {
      running = false;
      await all;
    },
  };
}

type Kind = 'models' | 'embeddings' | 'chat' | 'parse' | 'poll' | 'readyz';

/** Answers by kind and status, e.g. `{ 'models 200': 812, 'models 503': 14 }`. */
export function countByStatus(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[`${answer.kind} ${answer.status}`] = (counts[`${answer.kind} ${answer.status}`] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
