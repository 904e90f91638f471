import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { HeldAnswers } from '../fakes/held-answers.ts';
import { bearer } from './test-server.ts';
import { parseMetrics, sumOf } from './prometheus.ts';

export interface CancelRaceOptions {
  baseUrl: string;
  /** A key with ai:read and ai:generate, allowed about six calls an operation; its project gets a bucket and a webhook endpoint for the race. */
  key: string;
  /** The held answers of the fake upstream that `model` is routed to: the race releases them. */
  upstream: HeldAnswers;
  /** A model the server sends to that fake's `held` model, e.g. `fake:held`. */
  model: string;
  operations: number;
  /** Operations in flight at once; keep it at most the server's OPERATION_CONCURRENCY. */
  concurrency?: number;
  /** Where the race's webhook endpoint points; by default a receiver of its own on loopback. */
  webhookUrl?: string;
  /** For a server that guards /metrics (the race waits there for the operation queue to drain). */
  metricsToken?: string;
}

export interface CancelRaceFigures {
  operations: number;
  withDestination: number;
  /** Cancels answered 200. */
  cancelsWon: number;
  /** Cancels answered 409: completion had won. */
  conflicts: number;
  /** Of those, the ones refused because the worker had committed to completing (storing the result) but not yet ended. */
  conflictsWhileCompleting: number;
  /** Cancels won although the upstream answer had been written whole: a result existed and was thrown away. */
  wonAfterAnswer: number;
  /** Of those, the ones with a result_destination: won before the worker's commit. */
  wonAfterAnswerWithDestination: number;
  /** Cancels sent after the upstream answer had been written whole, and how many of them still won. */
  sentAfterAnswer: number;
  sentAfterAnswerWon: number;
  /** Cancels sent at once after the 202, racing the worker's claim (all should win). */
  early: number;
  earlyWon: number;
  finalStatuses: Record<string, number>;
}

export interface CancelRaceReport {
  figures: CancelRaceFigures;
  /** Every broken promise, one line each; empty when cancel held. */
  violations: string[];
}

interface RacedOperation {
  index: number;
  id: string;
  text: string;
  destination: { bucket_id: string; key: string } | undefined;
  early: boolean;
  cancelStatus: number;
  cancelBody: any;
  cancelSentAt: number;
}

const terminal = ['succeeded', 'failed', 'cancelled'];
/** Milliseconds from the release of the upstream answer to the cancel (negative: the cancel goes first). */
const cancelOffsets = [-3, -2, -1, 0, 0, 0, 1, 1, 2, 3, 5, 8];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Races a cancel against the completion of `operations` async operations, at and around the
 * moment the upstream answers (and, for every tenth, against the worker's claim), a third of
 * them writing to a result_destination; then checks through the API that every cancel answered
 * 200 ended cancelled with no result in the row, no object at the destination and no
 * ai.operation.succeeded delivery, and that every 409 was for an operation that had ended or
 * was storing its result (and has ended since). Both sides must win some for the race to mean
 * anything: see `figures`.
 */
export async function raceCancelsAgainstCompletion(options: CancelRaceOptions): Promise<CancelRaceReport> {
  const { baseUrl, key, upstream, model, operations, concurrency = 8 } = options;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: { ...bearer(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
  };
  const expectOk = async (method: string, path: string, body?: unknown) => {
    const answer = await call(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };

  const run = randomUUID().slice(0, 8);
  const receiver = options.webhookUrl ? undefined : await startReceiver();
  try {
    const bucket = (await expectOk('POST', '/infra/storage/buckets', { name: `cancel-race-${run}` })).data.id as string;
    const topic = `cancel-race-${run}`;
    await expectOk('POST', '/infra/webhooks/endpoints', { url: options.webhookUrl ?? receiver!.url, topics: [topic] });

    const raceOne = async (index: number): Promise<RacedOperation> => {
      const text = `race-${run}-${index}`;
      const destination = index % 3 === 0 ? { bucket_id: bucket, key: `race/${index}.json` } : undefined;
      const early = index % 10 === 5;
      const accepted = await expectOk('POST', '/v1/chat/completions', {
        model,
        messages: [{ role: 'user', content: text }],
        async: true,
        webhook_topic: topic,
        ...(destination ? { result_destination: destination } : {}),
      });
      const cancel = () => {
        const sentAt = performance.now();
        return call('POST', `/infra/ai/operations/${accepted.id}/cancel`, {}).then((answer) => ({ ...answer, sentAt }));
      };
      let cancelled: Awaited<ReturnType<typeof cancel>>;
      if (early) {
        cancelled = await cancel();
      } else {
        await upstream.arrival(text);
        const offset = cancelOffsets[index % cancelOffsets.length]!;
        if (offset < 0) {
          const pending = cancel();
          await sleep(-offset);
          upstream.release(text);
          cancelled = await pending;
        } else {
          upstream.release(text);
          if (offset > 0) await sleep(offset);
          cancelled = await cancel();
        }
      }
      return { index, id: accepted.id, text, destination, early, cancelStatus: cancelled.status, cancelBody: cancelled.body, cancelSentAt: cancelled.sentAt };
    };

    const raced: RacedOperation[] = [];
    let next = 0;
    const lane = async () => {
      while (next < operations) raced.push(await raceOne(next++));
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, operations) }, lane));
    } finally {
      // A run whose abort went astray still gets its answer, and must then lose to the cancel.
      upstream.releaseAll();
    }

    const violations: string[] = [];
    if (!(await operationQueueDrained(baseUrl, options.metricsToken))) violations.push('the operation queue did not drain within 60 s');

    const figures: CancelRaceFigures = {
      operations,
      withDestination: 0,
      cancelsWon: 0,
      conflicts: 0,
      conflictsWhileCompleting: 0,
      wonAfterAnswer: 0,
      wonAfterAnswerWithDestination: 0,
      sentAfterAnswer: 0,
      sentAfterAnswerWon: 0,
      early: 0,
      earlyWon: 0,
      finalStatuses: {},
    };
    for (const operation of raced.sort((a, b) => a.index - b.index)) {
      const fail = (problem: string) => violations.push(`${operation.id} (cancel ${operation.cancelStatus}): ${problem}`);
      const final = (await expectOk('GET', `/infra/ai/operations/${operation.id}`)).data;
      const deliveries = (await expectOk('GET', `/infra/webhooks/deliveries?operation_id=${operation.id}&limit=200`)).data as { event_type: string }[];
      const events = deliveries.map((delivery) => delivery.event_type);
      const stored = operation.destination
        ? (await call('GET', `/infra/storage/buckets/${operation.destination.bucket_id}/objects/${operation.destination.key}`)).status
        : undefined;
      const answeredAt = upstream.answeredAt(operation.text);
      const won = operation.cancelStatus === 200;

      figures.finalStatuses[final.status] = (figures.finalStatuses[final.status] ?? 0) + 1;
      if (operation.destination) figures.withDestination++;
      if (won) figures.cancelsWon++;
      if (operation.cancelStatus === 409) figures.conflicts++;
      if (won && answeredAt !== undefined) {
        figures.wonAfterAnswer++;
        if (operation.destination) figures.wonAfterAnswerWithDestination++;
      }
      if (answeredAt !== undefined && answeredAt < operation.cancelSentAt) {
        figures.sentAfterAnswer++;
        if (won) figures.sentAfterAnswerWon++;
      }
      if (operation.early) {
        figures.early++;
        if (won) figures.earlyWon++;
      }

      if (!terminal.includes(final.status)) fail(`still ${final.status} after the queue drained`);
      if (events.length !== 1 || events[0] !== `ai.operation.${final.status}`) fail(`ended ${final.status} with webhook events [${events.join(', ')}]`);
      if (won) {
        if (operation.cancelBody?.data?.status !== 'cancelled') fail(`the 200 showed status ${operation.cancelBody?.data?.status}`);
        if (final.status !== 'cancelled') fail(`ended ${final.status}`);
        if (final.result !== null) fail('has a result in the row');
        if (final.result_destination?.size !== undefined) fail('shows a stored result_destination');
        if (stored !== undefined && stored !== 404) fail(`its destination object answers ${stored}`);
        if (events.includes('ai.operation.succeeded')) fail('has an ai.operation.succeeded delivery');
      } else if (operation.cancelStatus === 409) {
        const refusal = operation.cancelBody?.error?.details as { status: string; completing: boolean } | undefined;
        if (refusal?.completing) figures.conflictsWhileCompleting++;
        else if (!terminal.includes(refusal?.status ?? '')) fail(`the 409 was for an operation ${refusal?.status} and not completing`);
        // Without this the destination checks above would prove nothing.
        if (final.status === 'succeeded' && stored !== undefined && stored !== 200) fail(`succeeded but its destination object answers ${stored}`);
      } else {
        fail(`the cancel answered ${operation.cancelStatus}: ${JSON.stringify(operation.cancelBody)}`);
      }
    }
    return { figures, violations };
  } finally {
    await receiver?.close();
  }
}

/** Waits (up to 60 s) until no operation job waits or runs: every worker has let go of the race's operations. */
async function operationQueueDrained(baseUrl: string, metricsToken: string | undefined): Promise<boolean> {
  const headers = metricsToken ? bearer(metricsToken) : {};
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const samples = parseMetrics(await (await fetch(`${baseUrl}/metrics`, { headers })).text());
    if (sumOf(samples, 'ai_operation_jobs', { queue: 'ai-operations' }) === 0) return true;
    await sleep(50);
  }
  return false;
}

/** A webhook receiver that accepts everything: deliveries succeed and are not retried. */
async function startReceiver() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cancel-race`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
