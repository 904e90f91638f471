import type { RawData } from 'ws';
import { openCharge, whenRecorded, type Charge } from '../accounts/billing.ts';
import type { CallContext } from '../router/context.ts';
import type { ModelEntry } from '../schema/api/models.ts';

/** The most output one response is reserved for when the model's entry names no limit. */
const defaultOutputBound = 4096;

interface ResponseEvent {
  type: string;
  /** On `response.created` and `response.done`. */
  response?: { id?: string; usage?: { input_tokens?: number; output_tokens?: number } };
  /** On a response's deltas. */
  response_id?: string;
  delta?: unknown;
}

/** An upstream frame's event when it is one the meter reads; audio and other frames pass unread. */
export function meteredEventOf(data: RawData, isBinary: boolean): ResponseEvent | undefined {
  if (isBinary) return undefined;
  const text = data.toString();
  // Audio deltas are most of the traffic and carry nothing the meter reads: they pass unparsed.
  if (/"type"\s*:\s*"[^"]*audio\.delta"/.test(text.slice(0, 256))) return undefined;
  try {
    const event = JSON.parse(text) as ResponseEvent;
    return typeof event.type === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

const isTextDelta = (type: string) => type.startsWith('response.') && (type.endsWith('text.delta') || type.endsWith('transcript.delta'));

/** A response being delivered: its charge, and the text of it the client has been sent. */
interface OpenResponse {
  charge: Charge;
  inputBound: number;
  sentCharacters: number;
}

/**
 * Realtime pays before it delivers: each response the upstream starts (`response.created`) has its
 * cost reserved before any of its events reach the client, and is settled to the usage its
 * `response.done` reports (in full, beyond the reservation if need be). A response the balance
 * cannot cover is refused whole (402): the relay then ends without forwarding it. A response cut
 * off when the relay ends is settled to an estimate of what the client was sent.
 */
export class RealtimeMeter {
  readonly #ctx: CallContext;
  readonly #entry: ModelEntry;
  readonly #open = new Map<string, OpenResponse>();
  /** Input grows with the conversation: the last response's input is a floor for the next. */
  #lastInput = 0;

  constructor(ctx: CallContext, entry: ModelEntry) {
    this.#ctx = ctx;
    this.#entry = entry;
  }

  /**
   * Reads one upstream event before it is forwarded; a promise when a reservation has to wait for
   * the ledger (forward nothing behind it meanwhile). Throws, or rejects, with the 402 when the
   * balance cannot cover a new response.
   */
  before(event: ResponseEvent): Promise<void> | void {
    if (event.type === 'response.created') return this.#reserve(event.response?.id ?? '');
    if (event.type === 'response.done') return this.#settle(event);
    if (isTextDelta(event.type) && typeof event.delta === 'string') {
      const open = this.#open.get(event.response_id ?? '') ?? this.#open.get('');
      if (open) open.sentCharacters += event.delta.length;
    }
  }

  /** Opens the charge of response `id`; its bound is the last input and the model's output limit unless given. */
  #reserve(id: string, upperBound?: { input: number; output: number }): Promise<void> | void {
    const bound = upperBound ?? { input: this.#lastInput, output: this.#entry.limits.max_output_tokens ?? defaultOutputBound };
    const opened = openCharge(this.#ctx, { primitive: 'realtime.relay', model: this.#entry, upperBound: bound, rateEstimate: 0 });
    const track = (charge: Charge) => void this.#open.set(id, { charge, inputBound: bound.input, sentCharacters: 0 });
    if (opened instanceof Promise) return opened.then(track);
    track(opened);
  }

  #settle(event: ResponseEvent): Promise<void> | void {
    const usage = { input: event.response?.usage?.input_tokens ?? 0, output: event.response?.usage?.output_tokens ?? 0 };
    const requested = event.response?.id ?? '';
    const id = this.#open.has(requested) ? requested : '';
    const finish = () => {
      const open = this.#open.get(id);
      if (!open) return;
      this.#open.delete(id);
      this.#lastInput = usage.input;
      // `response.done` goes out once the response's usage record is written.
      return whenRecorded(open.charge.settle(usage, 'succeeded'));
    };
    if (this.#open.has(id)) return finish();
    // An upstream that never said `response.created`: reserved now, for what it reports.
    if (usage.input + usage.output === 0) return;
    const reserved = this.#reserve(id, usage);
    return reserved ? reserved.then(finish) : finish();
  }

  /**
   * The relay ended: responses still open are settled to their input bound and the text sent, four
   * characters a token, recorded as estimates (the upstream never said what they used).
   */
  close(): void {
    for (const open of this.#open.values()) {
      void open.charge.settle({ input: open.inputBound, output: Math.ceil(open.sentCharacters / 4), estimated: true }, 'disconnected');
    }
    this.#open.clear();
  }
}
