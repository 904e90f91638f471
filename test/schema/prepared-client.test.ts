import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreparingClient } from '../../schema/db/prepared-client.ts';
import { testDatabaseUrl } from '../helpers/paths.ts';

const client = new PreparingClient({ connectionString: testDatabaseUrl });
beforeAll(() => client.connect());
afterAll(() => client.end());

const preparedNames = async () => (await client.query<{ name: string }>('select name from pg_prepared_statements order by name')).rows.map((row) => row.name);

describe('PreparingClient', () => {
  it('prepares a statement marked `/* prepared: name */` once, and runs it with each call\'s parameters', async () => {
    const marked = '/* prepared: twice */ select $1::int * 2 as doubled';
    expect((await client.query(marked, [21])).rows).toEqual([{ doubled: 42 }]);
    expect((await client.query(marked, [5])).rows).toEqual([{ doubled: 10 }]);
    expect(await preparedNames()).toEqual(['twice']);
  });

  it('leaves every other statement unnamed', async () => {
    await client.query('select $1::int as plain', [1]);
    await client.query({ text: 'select 2 as config' });
    expect(await preparedNames()).toEqual(['twice']);
  });
});
