import { peakResidentMiB, residentMiB } from '../../bench/process-memory.ts';
import { loadConfig } from '../../server/config.ts';
import { createLongPdf, embeddingInputs, longText, type HeavyRequest } from '../helpers/heavy-requests.ts';
import { bearer } from '../helpers/test-server.ts';
import { cutDuringUpload, describeFate, type HeavyFate } from './heavy-sender.ts';
import { runPacedMix } from './paced-mix.ts';
import { checked, describeLatency, describeTally, latencyByKind, loadLatency, tally, timed } from './report.ts';
import type { Goal, Scenario } from './stage.ts';

/**
 * One project with no effective rate limit sends heavy local work (document parses, chunking of
 * megabytes of text, embeddings), 30 requests at a time, while another project's light calls run
 * paced. The server must shed what it cannot hold (503 with Retry-After), keep its resident memory
 * under its documented bound, and keep the other project's p99 under 50 ms.
 */

/**
 * The resident-memory bound the README documents for a flood of heavy work from one project
 * (Sizing, "Memory under a flood of heavy work"), for the settings the server runs with: the warm
 * footprint with every local model loaded (570 MiB) + 2 × MAX_BODY_BYTES_IN_FLIGHT +
 * (LOCAL_PROJECT_QUEUE_LIMIT + LOCAL_POOL_THREADS) × 1.4 × MAX_BODY_BYTES + LOCAL_POOL_THREADS ×
 * LOCAL_POOL_MAX_MEMORY_MB (about 2.8 GiB with the defaults on two cores). CHAOS_RSS_BOUND_MB
 * checks another instead.
 */
function documentedBoundMiB(environment: Record<string, string>): { bound: number; source: string } {
  if (process.env.CHAOS_RSS_BOUND_MB) return { bound: Number(process.env.CHAOS_RSS_BOUND_MB), source: 'CHAOS_RSS_BOUND_MB' };
  const config = loadConfig(environment);
  const { pool } = config.local;
  const mib = 1024 * 1024;
  const bound = 570 + (2 * config.maxBodyBytesInFlight) / mib + ((pool.projectLimit + pool.threads) * 1.4 * config.maxBodyBytes) / mib + pool.threads * pool.maxMemoryMb;
  return { bound: Math.round(bound), source: "the README's bound for one project with these settings" };
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function heavyMix(size: 'small' | 'full'): Promise<HeavyRequest[]> {
  const pdf = base64(await createLongPdf(size === 'full' ? 40 : 8));
  const mix: HeavyRequest[] = [
    { label: 'chunk', path: '/infra/ai/documents/chunk', body: JSON.stringify({ text: longText(size === 'full' ? 9_000_000 : 1_000_000), max_chars: 8000, overlap_chars: 0 }) },
    { label: 'parse PDF', path: '/infra/ai/documents/parse', body: JSON.stringify({ file: { data: pdf, content_type: 'application/pdf' } }) },
  ];
  // Embeddings hold a compute thread for seconds each on two cores: the full run only.
  if (size === 'full') mix.push({ label: 'embeddings ×64', path: '/v1/embeddings', body: JSON.stringify({ model: 'local:universal-sentence-encoder-lite', input: embeddingInputs(64) }) });
  return mix;
}

export const heavyFlood: Scenario = {
  name: 'heavy-flood',
  summary: 'heavy requests from one unthrottled key, 30 at a time: 503s with Retry-After past the bounds, memory bounded, another project p99 < 50 ms',
  timeoutMs: { small: 120_000, full: 600_000 },
  async run(stage) {
    const count = stage.pick({ small: 60, full: 300 });
    const concurrency = 30;
    const timeoutMs = stage.pick({ small: 20_000, full: 30_000 });
    const victimMs = stage.pick({ small: 6000, full: 30_000 });

    const databaseUrl = await stage.database();
    const environment = { DATABASE_URL: databaseUrl };
    const server = await stage.server(environment);
    const { bound, source } = documentedBoundMiB(environment);
    const pid = server.child.pid!;
    const heavyKey = await stage.key(databaseUrl, 'heavy', { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 });
    const victimKey = await stage.key(databaseUrl, 'light');
    const mix = await heavyMix(stage.size);
    const senders = await stage.heavySenders();

    // One of each first: models loaded and threads started, so the baseline is the warm process.
    for (const request of mix) await senders.send(server.baseUrl, heavyKey, request, { timeoutMs: 120_000 });
    const baselineMiB = await residentMiB(pid);

    let sampledPeakMiB = baselineMiB;
    const sampler = setInterval(() => {
      residentMiB(pid).then((mib) => (sampledPeakMiB = Math.max(sampledPeakMiB, mib)), () => {});
    }, 250);
    const victimHeaders = { ...bearer(victimKey), 'content-type': 'application/json' };
    const victim = runPacedMix(
      [
        { kind: 'GET /v1/models', url: `${server.baseUrl}/v1/models`, headers: bearer(victimKey), ratePerSecond: 25 },
        { kind: 'POST /infra/ai/documents/chunk (small)', url: `${server.baseUrl}/infra/ai/documents/chunk`, method: 'POST', headers: victimHeaders, body: JSON.stringify({ text: 'A short paragraph.\n\nAnother one.' }), ratePerSecond: 25 },
      ],
      victimMs,
    );
    const started = performance.now();
    const fates: HeavyFate[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const request = mix[next++ % mix.length]!;
          fates.push(await senders.send(server.baseUrl, heavyKey, request, { timeoutMs }));
        }
      }),
    );
    const floodMs = Math.round(performance.now() - started);
    clearInterval(sampler);
    const victimResult = await victim;
    const victimFigures = loadLatency(victimResult);
    const peakMiB = server.alive() ? await peakResidentMiB(pid) : sampledPeakMiB;

    const byLabel = Object.fromEntries(mix.map(({ label }) => [label, tally(fates.filter((fate) => fate.label === label).map(describeFate))]));
    const shed: HeavyFate[] = fates.filter((fate) => fate.fate === '503');
    const shedWithoutRetryAfter = shed.filter((fate) => !fate.retryAfter);
    const cut = fates.filter(cutDuringUpload);
    const unexpected = fates.filter((fate) => fate.fate !== '200' && fate.fate !== '503' && !fate.fate.startsWith('no answer') && !cutDuringUpload(fate));
    // Which bounds shed: the body budget (MAX_BODY_BYTES_IN_FLIGHT) refuses before a body is read; queue bounds refuse heavy work.
    const shedBy = tally(shed.map((fate) => fate.reason ?? 'no reason given'));
    const unanswered = fates.filter((fate) => fate.fate.startsWith('no answer'));
    stage.print(`${count} heavy requests, ${concurrency} at a time, in ${(floodMs / 1000).toFixed(1)} s: ${describeTally(tally(fates.map(describeFate)))}`);
    for (const [label, counts] of Object.entries(byLabel)) stage.print(`  ${label}: ${describeTally(counts)}`);
    stage.print(`Retry-After on the 503s: ${describeTally(tally(shed.map((fate) => fate.retryAfter ?? 'missing')))}`);
    stage.print(`resident memory: ${baselineMiB} MiB warm, ${sampledPeakMiB} MiB at most while sampled, ${peakMiB} MiB high-water mark`);
    stage.print(`the other project (50 req/s for the first ${victimMs / 1000} s): ${describeLatency(victimFigures)}`);
    for (const line of latencyByKind(victimResult)) stage.print(`  ${line}`);

    const goals: Goal[] = [
      checked('the server process still runs', server.alive(), server.alive() ? 'running' : 'exited'),
      checked('heavy requests get 200 or 503, nothing else (connections cut during the upload counted apart)', unexpected.length === 0, describeTally(tally(unexpected.map((fate) => `${fate.label} → ${describeFate(fate)}`)))),
      // Whether the client's upload or the server's close comes first is a race: reported, not asserted in CI.
      timed('every refusal readable: no connection cut while its body was being sent', cut.length === 0, `${cut.length} cut: ${describeTally(tally(cut.map(describeFate)))}`),
      checked(
        'the excess is shed: 503s, each with Retry-After',
        shed.length > 0 && shedWithoutRetryAfter.length === 0,
        `${shed.length} 503s (${describeTally(shedBy)}), ${shedWithoutRetryAfter.length} without Retry-After`,
      ),
      timed(`every heavy request answered within ${timeoutMs / 1000} s`, unanswered.length === 0, `${unanswered.length} of ${count} not answered in time`),
      checked('resident memory stays under the documented bound', peakMiB <= bound, `${peakMiB} MiB peak (${baselineMiB} MiB warm); bound ${bound} MiB (${source})`),
      checked('the other project gets no error', victimFigures.errors === 0, `${victimFigures.errors} of ${victimFigures.requests}`),
      timed('the other project keeps p99 < 50 ms', victimFigures.p99Ms < 50, describeLatency(victimFigures)),
    ];
    return {
      figures: { heavy: { count, concurrency, floodMs, fates: tally(fates.map(describeFate)), byLabel, shedBy }, residentMiB: { warm: baselineMiB, sampledPeak: sampledPeakMiB, highWaterMark: peakMiB }, victim: victimFigures },
      goals,
    };
  },
};
