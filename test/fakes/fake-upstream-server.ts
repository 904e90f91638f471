import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The body parsed as JSON when it is JSON. */
  body: any;
  raw: Buffer;
  /** Resolves when the client closed the connection before the response ended. */
  aborted: Promise<void>;
  wasAborted: () => boolean;
  /** Whether the fake has finished writing its response. */
  wasFinished: () => boolean;
}

export type FakeHandler = (request: RecordedRequest, res: ServerResponse) => unknown;

export interface FakeUpstream {
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback HTTP server that records each request (and whether its client went away). */
export async function startFakeUpstream(handler: FakeHandler): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const text = raw.toString('utf8');
    let aborted = false;
    const abortedPromise = new Promise<void>((resolve) => {
      res.on('close', () => {
        if (!res.writableFinished) {
          aborted = true;
          resolve();
        }
      });
    });
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: parseJsonOrUndefined(text),
      raw,
      aborted: abortedPromise,
      wasAborted: () => aborted,
      wasFinished: () => res.writableFinished,
    };
    requests.push(recorded);
    try {
      await handler(recorded, res);
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function startEventStream(res: ServerResponse): (data: string) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  return (data) => res.write(`data: ${data}\n\n`);
}

/** The last user message's text, whatever its content shape. */
export function lastUserText(messages: { role: string; content: unknown }[]): string {
  const last = [...messages].reverse().find((message) => message.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[]).filter((part) => part.type === 'text').map((part) => part.text).join('');
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
