import { TRPCError } from '@trpc/server';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError, describeError } from '../../router/errors.ts';
import { isDatabaseUnavailable } from '../../schema/db/unavailable.ts';
import { freePort } from '../../server/free-port.ts';
import { testDatabaseUrl } from '../helpers/paths.ts';

/**
 * Which failures mean "the database is away" (a 503 with Retry-After until it is back) and which
 * are bugs or bad statements (still a 500), on errors real drivers raise against a real Postgres.
 */
const failureOf = async (work: () => Promise<unknown>): Promise<unknown> => {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
};

/** What pg raises connecting to a port nothing listens on. */
const refusedConnection = async () =>
  failureOf(async () => {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/test` });
    await client.connect();
  });

const clients: pg.Client[] = [];
async function connected(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}
afterAll(async () => {
  for (const client of clients) await client.end().catch(() => {});
});

describe('database unavailable or not', () => {
  it('a refused connection, a session the server ended (57P01), a pool that gave no connection in time or was closed: unavailable', async () => {
    const refused = await refusedConnection();

    const victim = await connected();
    const victimPid = ((await victim.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
    const sessionEnded = new Promise<unknown>((resolve) => victim.on('error', resolve));
    await (await connected()).query('select pg_terminate_backend($1)', [victimPid]);
    const terminated = await sessionEnded;
    const afterTermination = await failureOf(() => victim.query('select 1'));

    const pool = new pg.Pool({ connectionString: testDatabaseUrl, max: 1, connectionTimeoutMillis: 100 });
    const held = await pool.connect();
    const timedOut = await failureOf(() => pool.connect());
    held.release();
    await pool.end();
    const poolClosed = await failureOf(() => pool.query('select 1'));

    const found = { refused, terminated, afterTermination, timedOut, poolClosed };
    console.log(
      'recognised as unavailable:',
      Object.fromEntries(Object.entries(found).map(([name, error]) => [name, `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim()])),
    );
    for (const [name, error] of Object.entries(found)) expect(isDatabaseUnavailable(error), name).toBe(true);
    expect((terminated as { code?: string }).code).toBe('57P01');
    // pg-boss re-emits its errors as plain objects spread from the error, with the queue appended.
    expect(isDatabaseUnavailable({ ...(refused as object), message: `${(refused as Error).message} (Queue: q, Worker: w)` })).toBe(true);
    // An error that wraps one (a cause chain) is recognised through it.
    expect(isDatabaseUnavailable(new Error('charging failed', { cause: terminated }))).toBe(true);
  });

  it('statements the database refused (syntax, constraint, encoding) are not unavailability', async () => {
    const client = await connected();
    await client.query('create temporary table once (id int primary key)');
    await client.query('insert into once values (1)');
    const refused = {
      syntax: await failureOf(() => client.query('selec 1')),
      unique: await failureOf(() => client.query('insert into once values (1)')),
      encoding: await failureOf(() => client.query("select convert_from('\\xff'::bytea, 'UTF8')")),
    };
    for (const [name, error] of Object.entries(refused)) expect(isDatabaseUnavailable(error), name).toBe(false);
    expect(isDatabaseUnavailable(new Error('plain bug'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe('describeError, the one error mapping', () => {
  it('answers 503 service_unavailable with Retry-After for the database being away, raw or as the cause tRPC wraps', async () => {
    const refused = await refusedConnection();
    for (const error of [refused, new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: refused as Error })]) {
      const described = describeError(error);
      expect(described).toMatchObject({ code: 'service_unavailable', status: 503, headers: { 'Retry-After': '1' } });
      expect(described.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    }
  });

  it('leaves other failures as they were: a bad statement is still a 500, an ApiError keeps its own code', async () => {
    const syntax = await failureOf(async () => (await connected()).query('selec 1'));
    expect(describeError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: syntax as Error })).status).toBe(500);
    const refused = await refusedConnection();
    expect(describeError(new ApiError('bad_gateway', 'upstream refused', { cause: refused })).status).toBe(502);
  });
});
