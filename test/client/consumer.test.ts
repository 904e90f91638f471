import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { repoRoot } from '../helpers/paths.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

/**
 * An app outside the repository, as a user would write it: it installs the client packed from
 * client/ (built by its prepack script), type-checks with common compiler defaults (and fails to
 * on a wrong input), and runs the README's example against a live server: text from a loopback
 * OpenAI fake, embeddings, rerank, moderation, parse and chunk on the offline models.
 */
const run = promisify(execFile);
const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
const consumerSource = path.join(repoRoot, 'test/client/consumer');

let workDir: string;
let consumerDir: string;
let fake: FakeOpenAi;
let server: TestServer;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'client-consumer-'));
  consumerDir = path.join(workDir, 'app');
  await cp(consumerSource, consumerDir, { recursive: true });
  const packed = await run('npm', ['pack', '--json', '--pack-destination', workDir], { cwd: path.join(repoRoot, 'client') });
  const [{ filename }] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string }];
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(workDir, filename)], { cwd: consumerDir });

  fake = await startFakeOpenAi();
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'openai', base_url: `${fake.baseUrl}/v1`, models: ['gpt-4o-mini', 'gated'] }]),
    // Minting a session needs a configured upstream, not a connection to it.
    REALTIME_UPSTREAM_URL: 'ws://127.0.0.1:9/v1/realtime',
    REALTIME_API_KEY: 'sk-provider-secret',
    REALTIME_MODELS: 'gpt-4o-realtime-preview',
  });
}, 180_000);

afterAll(async () => {
  fake?.gate.open();
  await server?.close();
  await fake?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function typeCheck(project: string): Promise<{ ok: boolean; output: string; seconds: number }> {
  const started = performance.now();
  try {
    const { stdout } = await run(process.execPath, [tsc, '-p', project], { cwd: consumerDir });
    return { ok: true, output: stdout, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string };
    return { ok: false, output: failed.stdout + failed.stderr, seconds: (performance.now() - started) / 1000 };
  }
}

describe('a consumer project installing the client', () => {
  it('type-checks with moduleResolution bundler and no special flags', async () => {
    const checked = await typeCheck('tsconfig.json');
    expect(checked.output).toBe('');
    expect(checked.ok).toBe(true);
    // A figure for the report, not an assertion: machines differ.
    console.log(`consumer type-check: ${checked.seconds.toFixed(2)} s`);
  }, 60_000);

  it('fails to type-check a misspelt field and a field of the wrong type', async () => {
    const checked = await typeCheck('tsconfig.mistakes.json');
    expect(checked.ok).toBe(false);
    expect(checked.output).toContain("mistakes/wrong-input.ts(6,87): error TS2561: Object literal may only specify known properties, but 'inptu' does not exist");
    expect(checked.output).toContain("mistakes/wrong-input.ts(7,68): error TS2322: Type 'string' is not assignable to type 'number'.");
  }, 60_000);

  it('runs the README example against a live server, streaming included', async () => {
    const key = (await server.createKey(['ai:read', 'ai:generate'], '100000')).secret;
    const { stdout } = await run(process.execPath, ['src/example.ts'], {
      cwd: consumerDir,
      env: { ...process.env, AI_BASE_URL: server.baseUrl, AI_API_KEY: key, AI_TEXT_MODEL: 'openai:gpt-4o-mini', AI_SLOW_MODEL: 'openai:gated' },
    });
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^models: \d+ openai:gpt-4o-mini$/),
      'response: echo: Write a release note.',
      'chat: echo: Say hello',
      'streamed: echo: Tell me a story',
      'embedding dimensions: 512',
      'best document: 1',
      'flagged: false',
      'parsed blocks: heading,paragraph',
      expect.stringMatching(/^chunks: \d+$/),
      'realtime session: realtime.session',
      'operation: cancelled',
      'error: 404 not_found true',
    ]);
    expect(Number(lines[8]!.split(' ')[1])).toBeGreaterThan(1);
    expect(Number(lines[0]!.split(' ')[1])).toBeGreaterThan(3);
  }, 60_000);
});

describe('the README', () => {
  it('quotes the example the consumer runs, exactly', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const example = await readFile(path.join(consumerSource, 'src/example.ts'), 'utf8');
    const quoted = /<!-- quoted from test\/client\/consumer\/src\/example\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(quoted?.[1]).toBe(example);
  });
});
