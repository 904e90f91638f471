import { connect } from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed before an answer's head arrived. */
  status: number;
  headers: Record<string, string>;
  body: any;
  closed: boolean;
}

/**
 * Sends bytes as they are to `port` on loopback (no client normalises them) and reads the first
 * answer; resolves on the answer, on the socket's close, or after `keepOpenMs` (as closed).
 */
export function rawRequest(port: number, request: string | Buffer, options: { keepOpenMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (closed: boolean) => {
      if (settled) return;
      const text = received.toString('utf8');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        if (!closed) return;
        settled = true;
        socket.destroy();
        resolve({ status: 0, headers: {}, body: undefined, closed });
        return;
      }
      const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? -1);
      const chunked = headers['transfer-encoding'] === 'chunked';
      let bodyText = text.slice(headEnd + 4);
      if (chunked) {
        if (!bodyText.endsWith('0\r\n\r\n') && !closed) return;
        bodyText = dechunk(bodyText);
      } else if (length >= 0 && Buffer.byteLength(bodyText) < length && !closed) return;
      settled = true;
      socket.destroy();
      let body: unknown = bodyText;
      try {
        body = JSON.parse(bodyText);
      } catch {
        // not JSON
      }
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body, closed });
    };
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      settle(false);
    });
    socket.on('close', () => settle(true));
    socket.on('error', (error) => (settled ? undefined : reject(error)));
    socket.write(request);
    if (options.keepOpenMs) setTimeout(() => settle(true), options.keepOpenMs);
  });
}

/** A chunked body's data (sizes are hex byte counts; this text is ASCII JSON). */
function dechunk(text: string): string {
  let data = '';
  for (let at = 0; ; ) {
    const lineEnd = text.indexOf('\r\n', at);
    const size = Number.parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) return data;
    data += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
