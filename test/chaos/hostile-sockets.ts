import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** How the server treated a hostile socket: the status it answered, `closed` without an answer, or `open` when the run ended first. */
export type SocketFate = number | 'closed' | 'open';

export interface HostileSocket {
  /** Settles when the server answers or closes the socket, or when `release` is called. */
  fate: Promise<SocketFate>;
  /** Ends the socket from our side (its fate is `open` unless already known). */
  release(): void;
}

/**
 * A socket that sends `head` (and `body`, if any), then dribbles `dribble` one byte every
 * `dribbleEveryMs` (repeating it), never finishing: a client that declares a body it never
 * sends, or a slowloris that never ends its headers or its body. Its fate is what the server did.
 */
export function openHostileSocket(port: number, head: Buffer, options: { body?: Buffer; dribble?: Buffer; dribbleEveryMs?: number } = {}): HostileSocket {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  let dribbler: NodeJS.Timeout | undefined;
  let settle: (fate: SocketFate) => void = () => {};
  const fate = new Promise<SocketFate>((resolve) => {
    settle = (value) => {
      clearInterval(dribbler);
      socket.destroy();
      resolve(value);
    };
  });
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(received);
    if (status) settle(Number(status[1]));
  });
  socket.on('close', () => settle('closed'));
  socket.on('error', () => settle('closed'));
  socket.write(head);
  if (options.body) socket.write(options.body);
  if (options.dribble) {
    const { dribble } = options;
    let at = 0;
    dribbler = setInterval(() => {
      if (socket.writable) socket.write(dribble.subarray(at % dribble.length, (at % dribble.length) + 1));
      at++;
    }, options.dribbleEveryMs ?? 500);
  }
  return { fate, release: () => settle('open') };
}

/** The soft limit on open files of this process (each socket is one), from /proc. */
export function openFileLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return line && line[1] !== 'unlimited' ? Number(line[1]) : Number.POSITIVE_INFINITY;
}
