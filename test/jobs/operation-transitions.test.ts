import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationProvider } from '../../schema/db/migrate.ts';
import { createId } from '../../schema/db/ids.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import {
  abandonOperation,
  cancelOperation,
  claimOperation,
  commitToComplete,
  failOperation,
  findOperation,
  insertOperations,
  requeueOperation,
  succeedOperation,
} from '../../schema/db/queries/operations.ts';
import type { Database } from '../../schema/db/types.ts';
import { createTestDatabase } from '../helpers/test-database.ts';

/** The operation state machine, statement by statement, on a real Postgres and across connections. */
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Kysely<Database>;
let projectId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 10 }) }) });
  const { error } = await new Migrator({ db: db as Kysely<unknown>, provider: migrationProvider }).migrateToLatest();
  if (error) throw error;
  projectId = (await insertProject(db, 'transitions')).id;
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const newOperation = async (destination?: object) =>
  (
    await insertOperations(db, [{
      id: createId('aiop'),
      projectId,
      kind: 'chat.completions',
      route: '/v1/chat/completions',
      model: 'fake:echo',
      input: {},
      resultDestination: destination,
      webhookTopic: null,
      jobId: randomUUID(),
      keyId: 'key_transitions',
    }])
  )[0]!.id;
const processing = async (destination?: object) => {
  const id = await newOperation(destination);
  await claimOperation(db, id);
  return id;
};
const outcome = { result: { text: 'done' }, resultDestination: undefined, usage: null, model: null };
const error = { code: 'bad_gateway', message: 'upstream 502' };

describe('a cancel that wins', () => {
  it('ends a queued operation, and the claim that comes after finds nothing to run', async () => {
    const id = await newOperation();
    const cancelled = await cancelOperation(db, id, projectId);
    expect(cancelled).toMatchObject({ status: 'cancelled', previous_status: 'queued', processing_at: null });
    expect(cancelled!.cancelled_at).toBeInstanceOf(Date);
    expect(await claimOperation(db, id)).toBeUndefined();
  });

  it("ends a processing operation; its worker's later transitions, a retry's claim (its worker died) and the dead-letter path all match nothing", async () => {
    const id = await processing({ bucket_id: 'sb_x', key: 'out.json' });
    expect(await cancelOperation(db, id, projectId)).toMatchObject({ status: 'cancelled', previous_status: 'processing' });
    expect(await commitToComplete(db, id)).toBe(false);
    expect(await succeedOperation(db, id, outcome)).toBeUndefined();
    expect(await failOperation(db, id, error)).toBeUndefined();
    expect(await requeueOperation(db, id, error)).toBe(false);
    expect(await abandonOperation(db, id, error)).toBeUndefined();
    expect(await claimOperation(db, id)).toBeUndefined();
    expect(await findOperation(db, id)).toMatchObject({ status: 'cancelled', result: null, succeeded_at: null, failed_at: null, completing_at: null });
  });

  it("does not touch another project's operation", async () => {
    const id = await newOperation();
    expect(await cancelOperation(db, id, 'proj_someone_else')).toBeUndefined();
    expect((await findOperation(db, id))!.status).toBe('queued');
  });
});

describe('a cancel that loses', () => {
  it('after the worker committed to completing: the operation completes, and stays past the point of no return if retried', async () => {
    const id = await processing({ bucket_id: 'sb_x', key: 'out.json' });
    expect(await commitToComplete(db, id)).toBe(true);
    expect(await cancelOperation(db, id, projectId)).toBeUndefined();
    // The store failed transiently: the next attempt may find the result already written.
    expect(await requeueOperation(db, id, error)).toBe(true);
    expect(await cancelOperation(db, id, projectId)).toBeUndefined();
    await claimOperation(db, id);
    expect(await succeedOperation(db, id, outcome)).toMatchObject({ status: 'succeeded', result: { text: 'done' } });
  });

  it('after the operation ended, whichever way', async () => {
    const succeeded = await processing();
    await succeedOperation(db, succeeded, outcome);
    const failed = await processing();
    await failOperation(db, failed, error);
    const abandoned = await processing();
    await abandonOperation(db, abandoned, error);
    const cancelled = await newOperation();
    await cancelOperation(db, cancelled, projectId);
    for (const id of [succeeded, failed, abandoned, cancelled]) expect(await cancelOperation(db, id, projectId)).toBeUndefined();
  });
});

describe('the dead-letter path', () => {
  it("fails the operation with its last attempt's error, or says the worker was lost", async () => {
    const retried = await processing();
    await requeueOperation(db, retried, error);
    expect(await abandonOperation(db, retried, { code: 'worker_lost', message: 'lost' })).toMatchObject({ status: 'failed', error });
    const silent = await processing();
    expect(await abandonOperation(db, silent, { code: 'worker_lost', message: 'lost' })).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
  });
});

describe('across connections', () => {
  it('a cancel waiting on an uncommitted claim sees the claim, and ends a processing operation', async () => {
    const id = await newOperation();
    const cancelled = await cancelBehind((trx) => claimOperation(trx, id), id);
    expect(cancelled).toMatchObject({ status: 'cancelled', previous_status: 'processing', attempts: 1 });
  });

  it('a cancel waiting on an uncommitted completion loses to it', async () => {
    const id = await processing();
    expect(await cancelBehind((trx) => succeedOperation(trx, id, outcome), id)).toBeUndefined();
    expect((await findOperation(db, id))!.status).toBe('succeeded');
  });

  it('of cancel and an ending (succeed, commit then succeed, fail), exactly one wins; a retry never beats a cancel, for 200 operations raced on separate connections', async () => {
    const endings = {
      succeed: async (id: string) => (await succeedOperation(db, id, outcome)) !== undefined,
      commitThenSucceed: async (id: string) => (await commitToComplete(db, id)) && (await succeedOperation(db, id, outcome)) !== undefined,
      fail: async (id: string) => (await failOperation(db, id, error)) !== undefined,
      requeue: (id: string) => requeueOperation(db, id, error),
    };
    const kinds = Object.keys(endings) as (keyof typeof endings)[];
    const ids = await Promise.all(Array.from({ length: 200 }, () => processing({ bucket_id: 'sb_x', key: 'out.json' })));
    const results = await Promise.all(
      ids.map(async (id, index) => {
        const kind = kinds[index % kinds.length]!;
        const [cancelled, ended] = await Promise.all([cancelOperation(db, id, projectId).then((row) => row !== undefined), endings[kind](id)]);
        return { id, kind, cancelled, ended };
      }),
    );
    const rows = new Map((await db.selectFrom('operations').select(['id', 'status', 'result']).where('id', 'in', ids).execute()).map((row) => [row.id, row]));
    const tally: Record<string, { cancelWon: number; otherWon: number }> = {};
    for (const { id, kind, cancelled, ended } of results) {
      const row = rows.get(id)!;
      tally[kind] ??= { cancelWon: 0, otherWon: 0 };
      tally[kind][cancelled ? 'cancelWon' : 'otherWon']++;
      if (kind === 'requeue') {
        // Back to queued is no ending: a cancel after it still wins.
        expect(cancelled, id).toBe(true);
        expect(row.status).toBe('cancelled');
        continue;
      }
      expect(cancelled !== ended, `${kind} ${id}`).toBe(true);
      expect(row.status).toBe(cancelled ? 'cancelled' : kind === 'fail' ? 'failed' : 'succeeded');
      if (cancelled) expect(row.result).toBeNull();
    }
    console.log('statement race:', JSON.stringify(tally));
    // Otherwise nothing raced: the cancels simply all came first.
    expect(tally.succeed!.otherWon + tally.commitThenSucceed!.otherWon + tally.fail!.otherWon).toBeGreaterThan(0);
  });
});

describe('the migration', () => {
  it('ends cancelled the operations that an earlier version only flagged for cancellation', async () => {
    const migrated = await createTestDatabase();
    const older = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: migrated.url, max: 1 }) }) });
    try {
      const migrator = new Migrator({ db: older as Kysely<unknown>, provider: migrationProvider });
      expect((await migrator.migrateTo('0009-usage-record-groups')).error).toBeUndefined();
      const project = await insertProject(older, 'flagged');
      const insert = (id: string, status: string, flagged: boolean) => sql`
        insert into operations (id, project_id, kind, route, status, input, cancel_requested_at)
        values (${id}, ${project.id}, 'responses', '/v1/responses', ${status}, '{}', ${flagged ? sql`now()` : null})`.execute(older);
      await insert('aiop_flagged', 'processing', true);
      await insert('aiop_running', 'processing', false);
      await insert('aiop_done', 'succeeded', true);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const statuses = Object.fromEntries(
        (await older.selectFrom('operations').select(['id', 'status', 'cancelled_at']).execute()).map((row) => [row.id, [row.status, row.cancelled_at !== null]]),
      );
      expect(statuses).toEqual({ aiop_flagged: ['cancelled', true], aiop_running: ['processing', false], aiop_done: ['succeeded', false] });
    } finally {
      await older.destroy();
      await migrated.drop();
    }
  });
});

/** Runs `transition` in a transaction, cancels while it is open (the cancel waits on its row lock), then commits it. */
async function cancelBehind(transition: (trx: Kysely<Database>) => Promise<unknown>, id: string) {
  const applied = Promise.withResolvers<void>();
  const commit = Promise.withResolvers<void>();
  const transaction = db.transaction().execute(async (trx) => {
    await transition(trx);
    applied.resolve();
    await commit.promise;
  });
  await applied.promise;
  const cancel = cancelOperation(db, id, projectId);
  await waitUntilCancelBlocked();
  commit.resolve();
  await transaction;
  return cancel;
}

/** Until the cancel (the one statement with `for update`; parameters are not in its text) waits on a row lock. */
async function waitUntilCancelBlocked(): Promise<void> {
  for (let poll = 0; poll < 200; poll++) {
    const { rows } = await sql<{ waiting: number }>`
      select count(*)::int as waiting from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and query like '%for update%'`.execute(db);
    if (rows[0]!.waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the cancel never waited for a lock');
}
