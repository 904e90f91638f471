import { createBenchKey, startBenchServer } from './bench-server.ts';
import type { LoadResult } from './catalog.ts';
import { startChild } from './child-process.ts';
import { residentMiB } from './process-memory.ts';
import { answeredAsExpected, derivedCases, type SoakCase } from './soak-cases.ts';
import { docxBomb, hostileCases } from './soak-hostile.ts';

const json = (value: unknown) => JSON.stringify(value);

interface CatalogModel {
  id: string;
  provider: string;
  capabilities: string[];
}

/**
 * A few minutes (SOAK_SECONDS, default 180) of mixed valid and invalid requests over every
 * route of /openapi.json (soak-cases.ts derives them from the document) and the hostile ones no
 * route documents (soak-hostile.ts), six at a time, against the server in its own process: it
 * must end healthy, with no 5xx, and its resident memory within 1.5× of what it was after a
 * 20-second warm-up of the same mix.
 */
export async function benchSoak(): Promise<LoadResult[]> {
  const fake = await startChild('bench/fake-upstream-process.ts');
  const { baseUrl: upstreamUrl } = JSON.parse(fake.firstLine) as { baseUrl: string };
  const server = await startBenchServer({
    OPENAI_COMPAT_UPSTREAMS: json([{ name: 'fake', base_url: `${upstreamUrl}/v1`, models: ['echo'] }]),
    // Minting sessions needs no upstream connection; nothing listens here.
    REALTIME_UPSTREAM_URL: 'ws://127.0.0.1:9/v1/realtime',
    // The soak's own pace is the point; per-key budgets would turn it into 429s.
  });
  const seconds = Number(process.env.SOAK_SECONDS ?? 180);
  try {
    const key = await createBenchKey();
    const authorization = `Bearer ${key}`;
    const created = await fetch(`${server.baseUrl}/infra/storage/buckets`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: json({ name: `soak-${Date.now()}` }) });
    const bucket = ((await created.json()) as { data: { id: string } }).data.id;
    const document = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    // The examples name local models; the same requests also go to the fake upstream's, where it serves what they do.
    const catalog = ((await (await fetch(`${server.baseUrl}/infra/ai/models`, { headers: { authorization } })).json()) as { data: CatalogModel[] }).data;
    const elsewhere = (model: string) => {
      const entry = catalog.find((candidate) => candidate.id === model);
      return entry && catalog.find((candidate) => candidate.provider !== entry.provider && candidate.capabilities.includes(entry.capabilities[0]!))?.id;
    };
    const all = [...derivedCases(document, { bucket_id: bucket }, elsewhere), ...hostileCases(bucket, await docxBomb())];

    const statuses = new Map<string, number>();
    const unexpected = new Map<string, number>();
    let serverErrors = 0;
    const send = async (entry: SoakCase) => {
      const body = typeof entry.body === 'function' ? entry.body() : entry.body;
      const headers: Record<string, string> = { authorization, ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}), ...entry.headers };
      if (headers.authorization === '') delete headers.authorization;
      const response = await fetch(`${server.baseUrl}${entry.path}`, { method: entry.method, headers, body: body as never }).catch(() => undefined);
      if (!response) {
        // A refused upload may be answered and closed before it is sent whole.
        if (entry.name === 'no key upload') return;
        serverErrors++;
        return;
      }
      const text = await response.text().catch(() => '');
      const label = `${entry.name} ${response.status}`;
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
      if (response.status >= 500) serverErrors++;
      if (!answeredAsExpected(entry, response.status, text)) unexpected.set(label, (unexpected.get(label) ?? 0) + 1);
    };

    // A pass loads every model, then 20 s of the mix grow the heaps to their working size:
    // memory is measured from there, so growth after it is what would be a leak.
    const pid = server.child.pid!;
    for (const entry of all) await send(entry);
    const loadedMiB = await residentMiB(pid);
    const mix = async (until: number, count: () => void) =>
      Promise.all(
        Array.from({ length: 6 }, async (_, worker) => {
          for (let index = worker; Date.now() < until; index += 7) {
            await send(all[index % all.length]!);
            count();
          }
        }),
      );
    await mix(Date.now() + 20_000, () => {});
    const startMiB = await residentMiB(pid);
    let peakMiB = startMiB;
    const samples: number[] = [startMiB];
    const sampler = setInterval(() => {
      void residentMiB(pid).then((mib) => {
        peakMiB = Math.max(peakMiB, mib);
        samples.push(mib);
      });
    }, 5_000);

    let sent = 0;
    await mix(Date.now() + seconds * 1000, () => sent++);
    clearInterval(sampler);
    // Background work (operations, settlements) settles, then memory is read again.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const endMiB = await residentMiB(pid);
    const healthy = (await fetch(`${server.baseUrl}/healthz`)).status === 200 && (await fetch(`${server.baseUrl}/readyz`)).status === 200;

    process.stdout.write(
      `\n${sent} requests in ${seconds} s over ${all.length} cases (${Object.keys(document.paths).length} paths); ` +
        `5xx or failed: ${serverErrors}; unexpected statuses: ${[...unexpected].map(([label, count]) => `${label} ×${count}`).join(', ') || 'none'}\n` +
        `resident memory: ${loadedMiB} MiB with every model loaded, ${startMiB} MiB after a 20 s warm-up, peak ${peakMiB} MiB, ${endMiB} MiB at the end (${(endMiB / startMiB).toFixed(2)}×); healthy: ${healthy}\n` +
        `samples (MiB, every 5 s): ${samples.join(' ')}\n`,
    );
    if (serverErrors > 0 || !healthy || endMiB > startMiB * 1.5 || unexpected.size > 0) throw new Error('the soak failed');
    return [];
  } finally {
    await server.stop();
    await fake.stop();
  }
}
