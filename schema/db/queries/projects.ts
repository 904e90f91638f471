import { sql, type Kysely } from 'kysely';
import type { Database, Project } from '../types.ts';
import { createId } from '../ids.ts';

/** A project and its (empty) balance row. */
export async function insertProject(db: Kysely<Database>, name: string): Promise<Project> {
  const result = await sql<Project>`
    with project as (insert into projects (id, name) values (${createId('proj')}, ${name}) returning *),
    balance as (insert into project_balances (project_id) select id from project)
    select * from project
  `.execute(db);
  return result.rows[0]!;
}

export async function listProjects(db: Kysely<Database>): Promise<Project[]> {
  return db.selectFrom('projects').selectAll().orderBy('created_at').execute();
}

export async function findProject(db: Kysely<Database>, id: string): Promise<Project | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countProjects(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('projects')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function setProjectLimits(
  db: Kysely<Database>,
  id: string,
  limits: { requestsPerMinute?: number | null | undefined; tokensPerMinute?: number | null | undefined },
): Promise<void> {
  if (limits.requestsPerMinute === undefined && limits.tokensPerMinute === undefined) return;
  await db
    .updateTable('projects')
    .set({
      ...(limits.requestsPerMinute === undefined ? {} : { requests_per_minute: limits.requestsPerMinute }),
      ...(limits.tokensPerMinute === undefined ? {} : { tokens_per_minute: limits.tokensPerMinute }),
    })
    .where('id', '=', id)
    .execute();
}
