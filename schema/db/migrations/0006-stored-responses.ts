import { sql, type Kysely } from 'kysely';

/**
 * Responses kept for `GET /v1/responses/{id}`, its input items, and `previous_response_id`:
 * the Response object, this request's input items, and the whole conversation it continued.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stored_responses')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('project_id', 'text', (column) => column.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('response', 'jsonb', (column) => column.notNull())
    .addColumn('input_items', 'jsonb', (column) => column.notNull())
    .addColumn('conversation', 'jsonb', (column) => column.notNull())
    .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('stored_responses_project').on('stored_responses').columns(['project_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('stored_responses').execute();
}
