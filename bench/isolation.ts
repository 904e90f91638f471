import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createBenchKey, startBenchServer } from './bench-server.ts';
import type { LoadResult } from './catalog.ts';
import { runPacedLoad, type PacedResult } from './paced-load.ts';
import { createTextImage } from '../test/helpers/document-fixtures.ts';

const sentence = 'Retrieval systems split long documents into overlapping passages before they embed them. ';

/** The heaviest requests each local primitive accepts (or nearly): what a hostile client would send. */
async function maximalRequests(): Promise<{ path: string; body: string }[]> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let number = 1; number <= 40; number++) {
    const page = pdf.addPage([612, 792]);
    for (let line = 0; line < 45; line++) page.drawText(`${sentence.trim()} ${number}.${line}`, { x: 40, y: 740 - line * 15, size: 10, font });
  }
  const scanned = await createTextImage(['Scanned page', 'The quick brown fox jumps over the lazy dog', 'Invoice total: 1,250 euros']);
  const text = `${sentence.repeat(6).trim()}\n\n`.repeat(Math.ceil(9_000_000 / (sentence.length * 6)));
  return [
    // 2,048 inputs, about 1.2M characters: the local encoder's per-request limit.
    { path: '/v1/embeddings', body: JSON.stringify({ model: 'local:universal-sentence-encoder-lite', input: Array.from({ length: 2048 }, (_, index) => `${index} ${sentence.repeat(6)}`) }) },
    { path: '/infra/ai/documents/parse', body: JSON.stringify({ file: { data: Buffer.from(await pdf.save()).toString('base64'), content_type: 'application/pdf' } }) },
    { path: '/infra/ai/documents/parse', body: JSON.stringify({ file: { data: Buffer.from(scanned).toString('base64'), content_type: 'image/png' } }) },
    { path: '/infra/ai/documents/chunk', body: JSON.stringify({ text: text.slice(0, 9_000_000), max_chars: 8000, overlap_chars: 0 }) },
  ];
}

/**
 * Event-loop isolation: `/healthz` and an authenticated catalog read, paced at 50 requests/s,
 * first on an idle server, then while eight clients keep the local compute pool saturated with
 * maximal embeddings, parse and chunk requests (beyond the queue limit they get 503, as designed).
 */
export async function benchIsolation(): Promise<LoadResult[]> {
  const server = await startBenchServer();
  const stats = { ok: 0, refused503: 0, timedOut504: 0, other: 0 };
  let saturating = true;
  try {
    const key = await createBenchKey();
    const headers = { authorization: `Bearer ${key}` };
    const heavy = await maximalRequests();
    const probe = async (label: string): Promise<PacedResult[]> => [
      await runPacedLoad(`${label}: GET /healthz`, { url: `${server.baseUrl}/healthz`, ratePerSecond: 50, durationMs: 10_000 }),
      await runPacedLoad(`${label}: GET /v1/models (auth)`, { url: `${server.baseUrl}/v1/models`, headers, ratePerSecond: 50, durationMs: 10_000 }),
    ];
    const idle = await probe('idle');

    const clients = Array.from({ length: 8 }, async (_, client) => {
      for (let index = client; saturating; index++) {
        const request = heavy[index % heavy.length]!;
        const response = await fetch(`${server.baseUrl}${request.path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: request.body });
        const answer = await response.text();
        if (response.ok) stats.ok++;
        else if (response.status === 503) stats.refused503++;
        // A task that runs past LOCAL_TASK_TIMEOUT_MS is stopped: bounded work, as designed (a
        // maximal embeddings request needs about two minutes of one thread on a slow 2-core VM).
        else if (response.status === 504 && answer.includes('LOCAL_TASK_TIMEOUT_MS')) stats.timedOut504++;
        else {
          stats.other++;
          process.stderr.write(`${request.path}: ${response.status} ${answer.slice(0, 300)}\n`);
        }
      }
    });
    // Let the pool load its models and fill its queue before measuring.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const busy = await probe('pool saturated');
    saturating = false;
    await Promise.all(clients);
    process.stdout.write(
      `\nheavy requests during the run: ${stats.ok} answered, ${stats.refused503} refused 503 (queue full), ` +
        `${stats.timedOut504} stopped at LOCAL_TASK_TIMEOUT_MS (504), ${stats.other} other\n`,
    );
    if (stats.other > 0) throw new Error('heavy requests got answers other than 200, 503 or the task timeout');
    return [...idle, ...busy].map((result) => ({
      name: result.name,
      requestsPerSecond: 50,
      p50Ms: Math.round(result.p50Ms * 100) / 100,
      p99Ms: Math.round(result.p99Ms * 100) / 100,
      errors: result.failures,
      non2xx: 0,
    }));
  } finally {
    saturating = false;
    await server.stop();
  }
}
