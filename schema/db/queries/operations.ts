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

export async function insertOperation(db: Kysely<Database>, operation: NewOperation): Promise<Operation> {
  return db
    .insertInto('operations')
    .values({
      id: operation.id,
      project_id: operation.projectId,
      kind: operation.kind,
      route: operation.route,
      status: 'queued',
      model: operation.model,
      input: JSON.stringify(operation.input),
      result_destination: operation.resultDestination === undefined ? null : JSON.stringify(operation.resultDestination),
      webhook_topic: operation.webhookTopic,
      job_id: operation.jobId,
      key_id: operation.keyId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findProjectOperation(db: Kysely<Database>, projectId: string, id: string): Promise<Operation | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
}

export async function findOperation(db: Kysely<Database>, id: string): Promise<Operation | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves a queued (or, after a lost worker, processing) operation to processing; undefined when it has ended or was cancelled. */
export async function claimOperation(db: Kysely<Database>, id: string): Promise<Operation | undefined> {
  return db
    .updateTable('operations')
    .set({ status: 'processing', processing_at: sql`now()`, attempts: sql`attempts + 1` })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'processing'])
    .where('cancel_requested_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function succeedOperation(
  db: Kysely<Database>,
  id: string,
  outcome: { result: unknown; resultDestination: unknown; usage: unknown; model: string | null },
): Promise<Operation | undefined> {
  return db
    .updateTable('operations')
    .set({
      status: 'succeeded',
      succeeded_at: sql`now()`,
      result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
      result_destination: outcome.resultDestination === undefined ? null : JSON.stringify(outcome.resultDestination),
      usage: outcome.usage === undefined ? null : JSON.stringify(outcome.usage),
      model: sql`coalesce(${outcome.model}, model)`,
      error: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'processing')
    .returningAll()
    .executeTakeFirst();
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

/** A transient failure: back to queued until pg-boss retries it; the error stays visible meanwhile. */
export async function requeueOperation(db: Kysely<Database>, id: string, error: { code: string; message: string }): Promise<void> {
  await db
    .updateTable('operations')
    .set({ status: 'queued', error: JSON.stringify(error) })
    .where('id', '=', id)
    .where('status', '=', 'processing')
    .execute();
}

export async function cancelOperation(db: Kysely<Database>, id: string, fromStatuses: ('queued' | 'processing')[]): Promise<Operation | undefined> {
  return db
    .updateTable('operations')
    .set({ status: 'cancelled', cancelled_at: sql`now()` })
    .where('id', '=', id)
    .where('status', 'in', fromStatuses)
    .returningAll()
    .executeTakeFirst();
}

/** Marks a processing operation for cancellation; the replica running it aborts and ends it. */
export async function requestOperationCancel(db: Kysely<Database>, projectId: string, id: string): Promise<Operation | undefined> {
  return db
    .updateTable('operations')
    .set({ cancel_requested_at: sql`coalesce(cancel_requested_at, now())` })
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .where('status', '=', 'processing')
    .returningAll()
    .executeTakeFirst();
}

export async function cancelQueuedOperation(db: Kysely<Database>, projectId: string, id: string): Promise<Operation | undefined> {
  return db
    .updateTable('operations')
    .set({ status: 'cancelled', cancelled_at: sql`now()` })
    .where('id', '=', id)
    .where('project_id', '=', projectId)
    .where('status', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
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
