import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listener } from '../../schema/db/listen.ts';
import { DatabaseReachability } from '../../schema/db/reachability.ts';
import { until } from '../helpers/until.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';

/**
 * A LISTEN session outlives an outage longer than one reconnect attempt (it used to give up after
 * the first failed one): it listens again once Postgres is back, says the gap twice (lost, back),
 * and the outage is one warning and one info line in the log.
 */
let postgres: PrivatePostgres;
beforeAll(async () => {
  postgres = await startPrivatePostgres();
}, 60_000);
afterAll(() => postgres?.destroy());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function notify(channel: string, payload: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  await client.query('select pg_notify($1, $2)', [channel, payload]);
  await client.end();
}

describe('LISTEN through a database outage', () => {
  it('listens again after Postgres was killed and stayed away for 3 s', async () => {
    const logLines: { level: number; msg: string; down_ms?: number; failures?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    const reachability = new DatabaseReachability({ connectionString: postgres.url, logger });
    const payloads: string[] = [];
    let gaps = 0;
    let listener: Listener | undefined;
    try {
      listener = await listen(reachability, 'outage_test', logger, (payload) => payloads.push(payload), () => gaps++);
      await notify('outage_test', 'before');
      await until(() => payloads.includes('before'), 'the first notification');

      postgres.kill();
      await until(() => gaps === 1, 'the loss to be noticed');
      // Long enough for several attempts to fail meanwhile.
      await sleep(3000);
      await postgres.start();
      await until(() => gaps === 2, 'the session to listen again');
      await notify('outage_test', 'after');
      await until(() => payloads.includes('after'), 'a notification after the outage');

      console.log('log of the outage:', logLines);
      expect(payloads).toEqual(['before', 'after']);
      expect(logLines.filter((line) => line.level === 40)).toHaveLength(1);
      expect(logLines.filter((line) => line.level === 30 && line.msg === 'database reachable again')).toHaveLength(1);
      expect(logLines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await listener?.close();
      reachability.close();
    }
  }, 60_000);
});
