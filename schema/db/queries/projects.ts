import type { Kysely } from 'kysely';
import type { Database, Project } from '../types.ts';
import { createId } from '../ids.ts';

export async function insertProject(db: Kysely<Database>, name: string): Promise<Project> {
  return db
    .insertInto('projects')
    .values({ id: createId('proj'), name })
    .returningAll()
    .executeTakeFirstOrThrow();
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
