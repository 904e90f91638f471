/**
 * The heavy clients of a scenario, in a process of their own that the stage runs at a lower CPU
 * priority (`HeavySenders` in heavy-senders.ts): on this machine they share the server's two
 * cores, where in a deployment they are other machines. Messages: `register` a request body
 * once, `send` one request (answered with its fate), `abort` a send.
 */
import { sendHeavy, type HeavyFate } from './heavy-sender.ts';
import type { HeavyRequest } from '../helpers/heavy-requests.ts';

type Message =
  | { type: 'register'; requestId: number; request: HeavyRequest }
  | { type: 'send'; call: number; requestId: number; baseUrl: string; key: string; timeoutMs?: number }
  | { type: 'abort'; call: number };

const requests = new Map<number, HeavyRequest>();
const calls = new Map<number, AbortController>();

process.on('message', (message: Message) => {
  if (message.type === 'register') requests.set(message.requestId, message.request);
  else if (message.type === 'abort') calls.get(message.call)?.abort();
  else {
    const leave = new AbortController();
    calls.set(message.call, leave);
    const request = requests.get(message.requestId)!;
    void sendHeavy(message.baseUrl, message.key, request, { signal: leave.signal, ...(message.timeoutMs ? { timeoutMs: message.timeoutMs } : {}) }).then((fate: HeavyFate) => {
      calls.delete(message.call);
      process.send!({ call: message.call, fate });
    });
  }
});
process.send!({ ready: true });
