import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { testDatabaseUrl } from './paths.ts';

/**
 * A fresh database on the test Postgres for one test file: its own tables and its own pg-boss
 * queues, so workers of servers in other test files never pick up its jobs.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ai_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      try {
        // A pool's end() resolves before its connections have closed: wait for them (bounded),
        // or forcing the drop would end them with an error their pool has no listener for.
        for (let poll = 0; poll < 100; poll++) {
          const { rows } = await client.query<{ open: number }>('select count(*)::int as open from pg_stat_activity where datname = $1', [name]);
          if (rows[0]!.open === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
