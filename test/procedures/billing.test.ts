import OpenAI from 'openai';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import Big from 'big.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { findBalance, listRecentUsage, sumLedger } from '../../schema/db/queries/ledger.ts';
import { reconcileProject } from '../../schema/db/queries/reconcile.ts';
import { bearer, startTestServer, type TestServer } from '../helpers/test-server.ts';
import { waitForOperation } from '../helpers/operations.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';

/** 1000 tokens per million in, 2000 out: the fake's 7 + 3 tokens cost exactly 0.013. */
const priced = (id: string) => ({ id, input_per_million: '1000', output_per_million: '2000' });
const exactCost = '0.013';

let fake: FakeOpenAi;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([
      { name: 'fake', base_url: `${fake.baseUrl}/v1`, models: [priced('echo'), priced('gated'), priced('endless'), priced('refuses'), priced('verbose'), priced('gpt-4o')] },
    ]),
  });
});
afterAll(async () => {
  await server.close();
  await fake.close();
});

const db = () => server.running.services.db;

async function post(secret: string, path: string, body: object, signal?: AbortSignal) {
  return fetch(server.baseUrl + path, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

const chat = (model: string, extra: object = {}) => ({ model: `fake:${model}`, messages: [{ role: 'user' as const, content: 'hello there' }], max_tokens: 50, ...extra });

/**
 * The balance kept for checks equals the ledger's own sum, and is what we expect. Settlement runs
 * just after the answer is sent, so this waits for it (bounded).
 */
async function expectBalance(projectId: string, expected: string) {
  let balance = await findBalance(db(), projectId);
  for (let poll = 0; poll < 150 && !new Big(balance).eq(expected); poll++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    balance = await findBalance(db(), projectId);
  }
  expect(new Big(balance).eq(expected), `balance ${balance}, expected ${expected}`).toBe(true);
  expect(new Big(await sumLedger(db(), projectId)).eq(balance)).toBe(true);
}

async function latestUsage(projectId: string) {
  // A cut-off stream is counted on a compute-pool thread after the client left: on a loaded
  // machine that takes seconds.
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    const [usage] = await listRecentUsage(db(), projectId, 1);
    if (usage) return usage;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no usage recorded');
}

describe('402 insufficient tokens', () => {
  it('answers 402 with the balance and the estimate, on both trees', async () => {
    const poor = await server.createKey(undefined, '0.0001');
    const native = await post(poor.secret, '/infra/ai/responses', { model: 'fake:echo', input: 'x', max_output_tokens: 100 });
    expect(native.status).toBe(402);
    const body = (await native.json()) as any;
    expect(body.error.code).toBe('insufficient_tokens');
    expect(body.error.details.balance).toBe('0.000100000000');
    expect(new Big(body.error.details.estimate).gt('0.0001')).toBe(true);

    const client = new OpenAI({ apiKey: poor.secret, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
    await expect(client.chat.completions.create(chat('echo'))).rejects.toMatchObject({ status: 402, error: { type: 'insufficient_quota', code: 'insufficient_quota' } });
    await expectBalance(poor.projectId, '0.0001');
    expect(fake.requests.some((request) => request.headers.authorization === poor.secret)).toBe(false);
  });

  it('is answered at request time for async work too', async () => {
    const poor = await server.createKey(undefined, '0');
    const accepted = await post(poor.secret, '/v1/chat/completions', chat('echo', { async: true }));
    expect(accepted.status).toBe(402);
  });
});

describe('settlement', () => {
  it('charges exactly the real usage of a sync call and releases the rest', async () => {
    const key = await server.createKey(undefined, '1');
    expect((await post(key.secret, '/v1/chat/completions', chat('echo'))).status).toBe(200);
    await expectBalance(key.projectId, new Big(1).minus(exactCost).toString());
    const usage = await latestUsage(key.projectId);
    expect(usage).toMatchObject({ primitive: 'chat.completions', model: 'fake:echo', status: 'succeeded', key_id: key.keyId, unit: 'token' });
    expect([Number(usage!.input_units), Number(usage!.output_units)]).toEqual([7, 3]);
    expect(new Big(usage!.tokens_charged).eq(exactCost)).toBe(true);
  });

  it('charges a streamed call its reported usage', async () => {
    const key = await server.createKey(undefined, '1');
    const response = await post(key.secret, '/infra/ai/responses', { model: 'fake:echo', input: 'streamed', stream: true, max_output_tokens: 50 });
    await response.text();
    await expectBalance(key.projectId, new Big(1).minus(exactCost).toString());
  });

  /** Streams `model` until five words have come, then leaves; the call's usage record once written, and the key. */
  async function leaveStreamEarly(model: string, content: string) {
    const key = await server.createKey(undefined, '1');
    const controller = new AbortController();
    const response = await post(key.secret, '/v1/chat/completions', chat(model, { stream: true, messages: [{ role: 'user', content }] }), controller.signal);
    const reader = response.body!.getReader();
    let events = '';
    while ((events.match(/more/g) ?? []).length < 5) events += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const usage = await latestUsage(key.projectId);
    expect(usage.status).toBe('disconnected');
    const charged = new Big(usage.tokens_charged);
    expect(charged.gt(0)).toBe(true);
    await expectBalance(key.projectId, new Big(1).minus(charged).toString());
    return { usage, secret: key.secret };
  }

  it("counts a disconnected stream's input and output with the model's tokenizer where there is one", async () => {
    const { usage } = await leaveStreamEarly('gpt-4o', 'stream forever');
    const o200k = new Tiktoken(o200kBase);
    // OpenAI's chat format: 4 tokens framing the one message, 3 priming the reply.
    expect(Number(usage.input_units)).toBe(o200k.encode('stream forever').length + 4 + 3);
    // Each word is one token; the stream got at least the five the client saw before it left.
    expect(Number(usage.output_units)).toBeGreaterThanOrEqual(5);
    expect(usage.estimated).toBe(false);
  });

  it('estimates a disconnected stream at four characters a token where no tokenizer is known, and says so', async () => {
    const { usage, secret } = await leaveStreamEarly('endless', 'hello there, endless model');
    expect(Number(usage.input_units)).toBe(Math.ceil('hello there, endless model'.length / 4));
    expect(Number(usage.output_units)).toBeGreaterThanOrEqual(Math.ceil('more more more more more '.length / 4));
    expect(usage.estimated).toBe(true);
    const listed = (await (await fetch(`${server.baseUrl}/infra/ai/usage`, { headers: bearer(secret) })).json()) as any;
    expect(listed.data.recent[0]).toMatchObject({ status: 'disconnected', estimated: true });
  });

  it('charges a failed call nothing', async () => {
    const key = await server.createKey(undefined, '1');
    expect((await post(key.secret, '/v1/chat/completions', chat('refuses'))).status).toBe(400);
    await expectBalance(key.projectId, '1');
    const usage = await latestUsage(key.projectId);
    expect(usage.status).toBe('failed');
  });

  it('charges an async operation when it runs, against the key that asked', async () => {
    const key = await server.createKey(undefined, '1');
    const accepted = (await (await post(key.secret, '/v1/chat/completions', chat('echo', { async: true }))).json()) as { id: string };
    await waitForOperation(server.baseUrl, key.secret, accepted.id, ['succeeded']);
    await expectBalance(key.projectId, new Big(1).minus(exactCost).toString());
    expect((await latestUsage(key.projectId)).key_id).toBe(key.keyId);
  });

  it('shows the balance and recent usage to the project', async () => {
    const key = await server.createKey(undefined, '2');
    await post(key.secret, '/v1/chat/completions', chat('echo'));
    await latestUsage(key.projectId);
    const response = await fetch(`${server.baseUrl}/infra/ai/usage`, { headers: bearer(key.secret) });
    const body = (await response.json()) as any;
    expect(new Big(body.data.balance).eq(new Big(2).minus(exactCost))).toBe(true);
    expect(body.data.recent[0]).toMatchObject({ primitive: 'chat.completions', model: 'fake:echo', input_units: 7, output_units: 3, status: 'succeeded', estimated: false });
    expect(new Big(body.data.recent[0].tokens_charged).eq(exactCost)).toBe(true);
  });
});

/** `verbose` reports 28 in and 45 out whatever `max_tokens` says: 0.118 at these prices. */
const overshootCost = '0.118';

describe('usage beyond the reservation', () => {
  const capped = { max_tokens: 20 };
  const calls: [string, (secret: string) => Promise<void>][] = [
    ['a chat completion', async (secret) => expect((await post(secret, '/v1/chat/completions', chat('verbose', capped))).status).toBe(200)],
    [
      'a streamed chat completion',
      async (secret) => {
        const response = await post(secret, '/v1/chat/completions', chat('verbose', { ...capped, stream: true }));
        expect(response.status).toBe(200);
        await response.text();
      },
    ],
    ['a response', async (secret) => expect((await post(secret, '/v1/responses', { model: 'fake:verbose', input: 'hello there', max_output_tokens: 20 })).status).toBe(200)],
    [
      'a streamed response',
      async (secret) => {
        const response = await post(secret, '/infra/ai/responses', { model: 'fake:verbose', input: 'hello there', max_output_tokens: 20, stream: true });
        expect(response.status).toBe(200);
        await response.text();
      },
    ],
    [
      'an async chat completion',
      async (secret) => {
        const accepted = (await (await post(secret, '/v1/chat/completions', chat('verbose', { ...capped, async: true }))).json()) as { id: string };
        await waitForOperation(server.baseUrl, secret, accepted.id, ['succeeded']);
      },
    ],
  ];

  it.each(calls)('is charged in full for %s', async (_, call) => {
    const key = await server.createKey(undefined, '1');
    await call(key.secret);
    await expectBalance(key.projectId, new Big(1).minus(overshootCost).toString());
    const usage = await latestUsage(key.projectId);
    expect([Number(usage.input_units), Number(usage.output_units)]).toEqual([28, 45]);
    expect(new Big(usage.tokens_charged).eq(overshootCost)).toBe(true);
  });

  it('takes the balance below zero by that one overshoot, then answers 402', async () => {
    const key = await server.createKey(undefined, '0.06');
    expect((await post(key.secret, '/v1/chat/completions', chat('verbose', capped))).status).toBe(200);
    await expectBalance(key.projectId, new Big('0.06').minus(overshootCost).toString());
    const refused = await post(key.secret, '/infra/ai/responses', { model: 'fake:verbose', input: 'hello there', max_output_tokens: 20 });
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as any).error.details.balance).toBe('-0.058000000000');
    await expectBalance(key.projectId, '-0.058');
  });
});

describe('concurrency', () => {
  it('lets at most 10 of 100 parallel calls through when the balance covers 10, and never goes negative', async () => {
    const probe = await server.createKey(undefined, '0');
    const estimate = new Big(
      ((await (await post(probe.secret, '/v1/chat/completions', chat('gated'))).json()) as any).error.message.match(/up to ([\d.]+) tokens/)[1],
    );
    const key = await server.createKey(undefined, estimate.times(10.5).toFixed(12));
    // The upstream holds every admitted call until all 100 are either held there or refused: the
    // admitted ones keep their reservations the whole time, whatever the machine's speed.
    let refused = 0;
    const calls = Array.from({ length: 100 }, () =>
      post(key.secret, '/v1/chat/completions', chat('gated')).then((response) => {
        if (response.status === 402) refused++;
        return response.status;
      }),
    );
    for (let poll = 0; poll < 500 && refused + fake.gate.waiting() < 100; poll++) await new Promise((resolve) => setTimeout(resolve, 20));
    fake.gate.open();
    const answers = await Promise.all(calls);
    expect(answers.filter((status) => status === 200)).toHaveLength(10);
    expect(answers.filter((status) => status === 402)).toHaveLength(90);
    const balance = new Big(await findBalance(db(), key.projectId));
    expect(balance.gte(0)).toBe(true);
    await expectBalance(key.projectId, estimate.times(10.5).minus(new Big(exactCost).times(10)).toFixed(12));
  }, 30_000);
});

describe('group commit', () => {
  it('releases an answer only once its usage record is written, and then at once', async () => {
    const key = await server.createKey(undefined, '1');
    // While this constraint stands every write of usage records fails, as with the database away.
    await sql`alter table usage_record_groups add constraint refuse_all_writes check (false) not valid`.execute(db());
    let answered = false;
    const call = post(key.secret, '/v1/chat/completions', chat('echo')).then(async (response) => {
      answered = true;
      return { status: response.status, usage: (await latestUsage(key.projectId)) as { request_id: string } | undefined };
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(answered).toBe(false);
      expect(await listRecentUsage(db(), key.projectId, 1)).toEqual([]);
    } finally {
      await sql`alter table usage_record_groups drop constraint refuse_all_writes`.execute(db());
    }
    const { status, usage } = await call;
    expect(status).toBe(200);
    expect(usage).toBeDefined();
    await expectBalance(key.projectId, new Big(1).minus(exactCost).toString());
  });
});

describe('reconciliation (npm run admin -- tokens:reconcile)', () => {
  const allTime = () => ({ since: new Date(0), until: new Date(Date.now() + 1000) });

  it('finds the balance, the ledger, the usage records and the leases in agreement after calls', async () => {
    const key = await server.createKey(undefined, '1');
    for (const model of ['echo', 'verbose']) expect((await post(key.secret, '/v1/chat/completions', chat(model, { max_tokens: 20 }))).status).toBe(200);
    await expectBalance(key.projectId, new Big(1).minus(exactCost).minus(overshootCost).toString());
    const report = await reconcileProject(db(), key.projectId, allTime());
    expect(report).toMatchObject({ differences: [], usageRecordCount: 2 });
    expect(new Big(report.usageRecords).eq(new Big(exactCost).plus(overshootCost))).toBe(true);
  });

  it('names each difference: a usage entry without its records, a balance edited by hand', async () => {
    const key = await server.createKey(undefined, '1');
    await sql`insert into ledger_entries (project_id, kind, amount, key_id, note) values (${key.projectId}, 'usage', -0.5, ${key.keyId}, 'by hand')`.execute(db());
    const report = await reconcileProject(db(), key.projectId, allTime());
    expect(report.differences).toEqual([
      'balance 1.000000000000 differs from the ledger\'s sum 0.500000000000',
      "usage ledger entries 0.500000000000 differ from the usage records' charges 0 in the period",
    ]);
  });
});
