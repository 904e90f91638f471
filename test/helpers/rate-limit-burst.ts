import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../../schema/db/types.ts';
import { setApiKeyLimits } from '../../schema/db/queries/api-keys.ts';
import { insertProject } from '../../schema/db/queries/projects.ts';
import { issueApiKey } from '../../accounts/api-key-admin.ts';

/** What a burst was answered with. */
export interface BurstOutcome {
  served: number;
  refused: number;
  /** Answers other than 2xx and 429 (each listed in `statuses`). */
  other: number;
  statuses: number[];
  /** 429s without a positive Retry-After or without OpenAI's x-ratelimit-*-requests headers. */
  refusalsWithoutHeaders: number;
  /** 2xx answers without the x-ratelimit-*-requests headers. */
  servedWithoutHeaders: number;
  /** Served by each base URL, in order. */
  servedBy: number[];
  milliseconds: number;
}

const limitHeaders = ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'];

/**
 * The issue's scenario: `count` requests (`GET /v1/models`) with one key, spread in turn over
 * `baseUrls` (the processes sharing the key's limit), all sent at once, or `concurrency` at a
 * time. For a key at N a minute whose window is fresh, exactly min(count, N) must be served and
 * the rest refused with 429, Retry-After and the x-ratelimit-* headers.
 */
export async function burstAcrossProcesses(baseUrls: readonly string[], secret: string, count: number, options: { concurrency?: number } = {}): Promise<BurstOutcome> {
  const outcome: BurstOutcome = {
    served: 0,
    refused: 0,
    other: 0,
    statuses: [],
    refusalsWithoutHeaders: 0,
    servedWithoutHeaders: 0,
    servedBy: baseUrls.map(() => 0),
    milliseconds: 0,
  };
  const started = performance.now();
  let next = 0;
  const sendUntilDone = async () => {
    for (let index = next++; index < count; index = next++) {
      const target = index % baseUrls.length;
      const response = await fetch(`${baseUrls[target]}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
      await response.arrayBuffer();
      outcome.statuses.push(response.status);
      const hasLimitHeaders = limitHeaders.every((name) => response.headers.get(name) !== null);
      if (response.status >= 200 && response.status < 300) {
        outcome.served++;
        outcome.servedBy[target]!++;
        if (!hasLimitHeaders) outcome.servedWithoutHeaders++;
      } else if (response.status === 429) {
        outcome.refused++;
        if (!hasLimitHeaders || !(Number(response.headers.get('retry-after')) > 0)) outcome.refusalsWithoutHeaders++;
      } else {
        outcome.other++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, options.concurrency ?? count) }, sendUntilDone));
  outcome.milliseconds = Math.round(performance.now() - started);
  return outcome;
}

/** A project and a key of its own limit, written straight into the database the processes share. */
export async function createKeyWithRequestLimit(databaseUrl: string, requestsPerMinute: number): Promise<{ secret: string; keyId: string }> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 1 }) }) });
  try {
    const project = await insertProject(db, `limit-${requestsPerMinute}`);
    const issued = await issueApiKey(db, { projectId: project.id, name: `limit-${requestsPerMinute}`, scopes: ['ai:read'] });
    await setApiKeyLimits(db, issued.key.id, { requestsPerMinute });
    return { secret: issued.secret, keyId: issued.key.id };
  } finally {
    await db.destroy();
  }
}
