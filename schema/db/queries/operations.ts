import { sql, type Kysely } from 'kysely';
import type { Database, Operation } from '../types.ts';

export interface NewOperation {
  id: string;
  projectId: string;
  kind: string;
  route: string;
  model: string | null;
  input: unknown;
  resultDestination: unknown;
  webhookTopic: string | null;
  jobId: string;
  keyId: string;
}

/** JSON text for a jsonb column, SQL null for undefined. */
const jsonText = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** The rows a statement over several operations returned, in the order of `ids` (undefined where none matched). */
function inOrderOf(ids: string[], rows: Operation[]): (Operation | undefined)[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id));
}

/** Inserts operations in one statement; their rows, in the order given. */
export async function insertOperations(db: Kysely<Database>, operations: NewOperation[]): Promise<Operation[]> {
  const rows = await db
    .insertInto('operations')
    .values(
      operations.map((operation) => ({
        id: operation.id,
        project_id: operation.projectId,
        kind: operation.kind,
        route: operation.route,
        status: 'queued',
        model: operation.model,
        input: JSON.stringify(operation.input),
        result_destination: jsonText(operation.resultDestination),
        webhook_topic: operation.webhookTopic,
        job_id: operation.jobId,
        key_id: operation.keyId,
      })),
    )
    .returningAll()
    .execute();
  return inOrderOf(
    operations.map((operation) => operation.id),
    rows,
  ) as Operation[];
}

export async function findProjectOperation(db: Kysely<Database>, projectId: string, id: string): Promise<Operation | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
}

export async function findOperation(db: Kysely<Database>, id: string): Promise<Operation | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
}

/*
 * The state machine. Each transition is one conditional UPDATE, so that of two racing
 * transitions exactly one matches the row and the other finds it moved on:
 *
 *   queued ─claim─▶ processing ─succeed─▶ succeeded
 *                   processing ─commit─▶ processing with completing_at ─succeed─▶ succeeded
 *                   processing (with or without completing_at) ─requeue─▶ queued, ─fail─▶ failed
 *   queued | processing ─abandon (dead letter)─▶ failed
 *   queued | processing, without completing_at ─cancel─▶ cancelled
 *
 * A cancel wins by ending the operation itself; whatever the worker then tries (commit,
 * succeed, fail, requeue) matches nothing. A worker commits before writing a result anywhere a
 * caller could see it, and from then on a cancel loses. completing_at is never cleared.
 */

/** Moves a queued (or, after a lost worker, processing) operation to processing; undefined when it has ended. */
export async function claimOperation(db: Kysely<Database>, id: string): Promise<Operation | undefined> {
  return (await claimOperations(db, [id]))[0];
}

/** `claimOperation` for several at once, in one statement: each one's row, or undefined, in the order given. */
export async function claimOperations(db: Kysely<Database>, ids: string[]): Promise<(Operation | undefined)[]> {
  const rows = await db
    .updateTable('operations')
    .set({ status: 'processing', processing_at: sql`now()`, attempts: sql`attempts + 1` })
    .where('id', 'in', ids)
    .where('status', 'in', ['queued', 'processing'])
    .returningAll()
    .execute();
  return inOrderOf(ids, rows);
}

/**
 * The point of no return, taken before the result is written to its destination: false when a
 * cancel won first (write nothing). Once taken it holds for every later attempt, since an
 * attempt that died after it may have written the result already.
 */
export async function commitToComplete(db: Kysely<Database>, id: string): Promise<boolean> {
  const { numUpdatedRows } = await db
    .updateTable('operations')
    .set({ completing_at: sql`coalesce(completing_at, now())` })
    .where('id', '=', id)
    .where('status', '=', 'processing')
    .executeTakeFirst();
  return numUpdatedRows > 0n;
}

export interface Success {
  id: string;
  result: unknown;
  resultDestination: unknown;
  usage: unknown;
  model: string | null;
}

/** Undefined when the operation is no longer processing (a cancel won). */
export async function succeedOperation(db: Kysely<Database>, id: string, outcome: Omit<Success, 'id'>): Promise<Operation | undefined> {
  return (await succeedOperations(db, [{ id, ...outcome }]))[0];
}


/** `succeedOperation` for several at once, in one statement: each one's row, or undefined, in the order given. */
export async function succeedOperations(db: Kysely<Database>, successes: Success[]): Promise<(Operation | undefined)[]> {
  const { rows } = await sql<Operation>`
    update operations o
    set status = 'succeeded', succeeded_at = now(), result = s.result::jsonb, result_destination = s.result_destination::jsonb,
        usage = s.usage::jsonb, model = coalesce(s.model, o.model), error = null
    from unnest(${successes.map((success) => success.id)}::text[], ${successes.map((success) => jsonText(success.result))}::text[],
                ${successes.map((success) => jsonText(success.resultDestination))}::text[], ${successes.map((success) => jsonText(success.usage))}::text[],
                ${successes.map((success) => success.model)}::text[]) as s(id, result, result_destination, usage, model)
    where o.id = s.id and o.status = 'processing'
    returning o.*
  `.execute(db);
  return inOrderOf(
    successes.map((success) => success.id),
    rows,
  );
}

export async function failOperation(db: Kysely<Database>, id: string, error: { code: string; message: string }): Promise<Operation | undefined> {
  return db
    .updateTable('operations')
    .set({ status: 'failed', failed_at: sql`now()`, error: JSON.stringify(error) })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'processing'])
    .returningAll()
    .executeTakeFirst();
}

/** The worker was lost on every attempt: failed, with the last attempt's error if it left one. */
export async function abandonOperation(db: Kysely<Database>, id: string, fallback: { code: string; message: string }): Promise<Operation | undefined> {
  return db
    .updateTable('operations')
    .set({ status: 'failed', failed_at: sql`now()`, error: sql`coalesce(error, ${JSON.stringify(fallback)}::jsonb)` })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'processing'])
    .returningAll()
    .executeTakeFirst();
}

/**
 * A transient failure: back to queued until pg-boss retries it; the error stays visible
 * meanwhile. False when the operation is no longer processing (a cancel won): no retry then.
 */
export async function requeueOperation(db: Kysely<Database>, id: string, error: { code: string; message: string }): Promise<boolean> {
  const { numUpdatedRows } = await db
    .updateTable('operations')
    .set({ status: 'queued', error: JSON.stringify(error) })
    .where('id', '=', id)
    .where('status', '=', 'processing')
    .executeTakeFirst();
  return numUpdatedRows > 0n;
}

export type CancelledOperation = Operation & { previous_status: 'queued' | 'processing' };

/**
 * Ends a queued or processing operation cancelled, unless its worker has committed to completing
 * it; undefined when the cancel lost (or the operation is not the project's). `previous_status`
 * says whether a worker was running it.
 */
export async function cancelOperation(db: Kysely<Database>, id: string, projectId?: string): Promise<CancelledOperation | undefined> {
  // The row is locked and read at its latest version first, so previous_status is the status
  // this cancel replaced, even when another transition committed while it waited.
  const { rows } = await sql<CancelledOperation>`
    with target as (
      select id, status from operations
      where id = ${id} ${projectId === undefined ? sql`` : sql`and project_id = ${projectId}`}
      for update
    )
    update operations set status = 'cancelled', cancelled_at = now(), cancel_requested_at = coalesce(operations.cancel_requested_at, now())
    from target
    where operations.id = target.id and operations.status in ('queued', 'processing') and operations.completing_at is null
    returning operations.*, target.status as previous_status
  `.execute(db);
  return rows[0];
}

export interface OperationListQuery {
  projectId: string;
  status: Operation['status'] | undefined;
  kind: string | undefined;
  /** The id of the last operation of the previous page. */
  after: string | undefined;
  limit: number;
}

/** A page of a project's operations, newest first; one more row than asked tells whether more follow. */
export async function listProjectOperations(db: Kysely<Database>, query: OperationListQuery): Promise<Operation[]> {
  let select = db.selectFrom('operations').selectAll().where('project_id', '=', query.projectId);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.kind) select = select.where('kind', '=', query.kind);
  if (query.after) {
    // Compared in the database: its timestamps are finer than a JS Date.
    const cursor = db.selectFrom('operations').select(['created_at', 'id']).where('id', '=', query.after).where('project_id', '=', query.projectId);
    select = select.where(sql<boolean>`(created_at, id) < (${cursor})`);
  }
  return select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
}
