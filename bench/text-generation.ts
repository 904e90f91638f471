import { runLoad, type LoadResult } from './catalog.ts';
import { runPacedLoad } from './paced-load.ts';
import { startChild } from './child-process.ts';
import { createBenchKey, startBenchServer } from './bench-server.ts';

const chatBody = JSON.stringify({ model: 'fake:gpt-bench', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 16 });

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/** Milliseconds until the first byte of a streamed body, over `count` sequential requests. */
async function measureFirstByte(url: string, headers: Record<string, string>, body: string, count: number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    const reader = response.body!.getReader();
    await reader.read();
    samples.push(performance.now() - started);
    await reader.cancel();
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/**
 * Gateway overhead: the same non-streaming chat load straight at a fake upstream, then through
 * the gateway (auth, validation, mapping both ways, logging), at a fixed 200 requests/s and at
 * full speed. Then time to first byte of a stream, direct and through the gateway.
 */
export async function benchTextGateway(): Promise<LoadResult[]> {
  const fake = await startChild('bench/fake-upstream-process.ts');
  const { baseUrl: fakeUrl } = JSON.parse(fake.firstLine) as { baseUrl: string };
  const server = await startBenchServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fakeUrl}/v1`, models: ['gpt-bench'] }]),
  });
  try {
    const key = await createBenchKey();
    const direct = { url: `${fakeUrl}/v1/chat/completions`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: chatBody.replace('fake:', '') };
    const gateway = { url: `${server.baseUrl}/v1/chat/completions`, method: 'POST' as const, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: chatBody };

    await runLoad('warm-up', { ...gateway, connections: 10, duration: 3 });
    const pacedDirect = await runPacedLoad('chat direct to fake @200 req/s', { ...direct, ratePerSecond: 200, durationMs: 10_000 });
    const pacedGateway = await runPacedLoad('chat via gateway @200 req/s', { ...gateway, ratePerSecond: 200, durationMs: 10_000 });
    console.table([pacedDirect, pacedGateway].map((result) => ({ scenario: result.name, requests: result.requests, failures: result.failures, 'p50 ms': result.p50Ms.toFixed(2), 'p99 ms': result.p99Ms.toFixed(2) })));
    process.stdout.write(
      `at 200 req/s: added p50 ${(pacedGateway.p50Ms - pacedDirect.p50Ms).toFixed(2)} ms, added p99 ${(pacedGateway.p99Ms - pacedDirect.p99Ms).toFixed(2)} ms\n`,
    );
    const results = [
      await runLoad('chat direct to fake, max rate', { ...direct, connections: 50, duration: 10 }),
      await runLoad('chat via gateway, max rate', { ...gateway, connections: 50, duration: 10 }),
    ];

    const streamBody = JSON.stringify({ ...JSON.parse(chatBody), stream: true });
    await measureFirstByte(gateway.url, gateway.headers, streamBody, 50);
    const directFirstByte = await measureFirstByte(direct.url, direct.headers, streamBody.replace('fake:', ''), 300);
    const gatewayFirstByte = await measureFirstByte(gateway.url, gateway.headers, streamBody, 300);
    process.stdout.write(
      `\nstream first byte (300 sequential): direct p50 ${directFirstByte.p50.toFixed(2)} ms p99 ${directFirstByte.p99.toFixed(2)} ms; ` +
        `via gateway p50 ${gatewayFirstByte.p50.toFixed(2)} ms p99 ${gatewayFirstByte.p99.toFixed(2)} ms; ` +
        `added p50 ${(gatewayFirstByte.p50 - directFirstByte.p50).toFixed(2)} ms\n`,
    );
    const [maxDirect, maxGateway] = results;
    process.stdout.write(`max-rate throughput ratio gateway/direct ${(maxGateway!.requestsPerSecond / maxDirect!.requestsPerSecond).toFixed(3)}\n`);
    return results;
  } finally {
    await server.stop();
    await fake.stop();
  }
}

/** Local generation speed with stories260K: sequential requests of 256 tokens each. */
export async function benchLocalTokens(): Promise<LoadResult[]> {
  const server = await startBenchServer();
  try {
    const key = await createBenchKey();
    const request = (maxTokens: number) =>
      fetch(`${server.baseUrl}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local:stories260K', input: 'Once upon a time', max_output_tokens: maxTokens, temperature: 0.8, seed: 1 }),
      }).then((response) => response.json() as Promise<{ usage: { output_tokens: number } }>);
    await request(16);
    let tokens = 0;
    const started = performance.now();
    for (let index = 0; index < 5; index++) tokens += (await request(256)).usage.output_tokens;
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`\nlocal stories260K: ${tokens} tokens in ${seconds.toFixed(2)} s = ${(tokens / seconds).toFixed(0)} tokens/s (one request at a time)\n`);
    return [];
  } finally {
    await server.stop();
  }
}
