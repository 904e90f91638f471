import { bearer } from '../helpers/test-server.ts';
import { checked, describeTally, tally } from './report.ts';
import type { Scenario } from './stage.ts';

/**
 * Two API processes on one database and one key allowed 100 requests a minute: 160 requests at
 * once, split between them, get exactly 100 answers and 60 refusals (429). No request inside the
 * budget may be refused because the other process holds part of it. The full run repeats it with
 * fresh keys: a lost share shows up in some rounds only.
 */
export const twoProcessLimits: Scenario = {
  name: 'two-process-limits',
  summary: 'two API processes, one key at 100 requests/minute, 160 concurrent requests: exactly 100 served, 60 refused with 429',
  timeoutMs: { small: 90_000, full: 120_000 },
  async run(stage) {
    const limit = 100;
    const sent = 160;
    const databaseUrl = await stage.database();
    // The server's own default limit: the key's limit is the one under test.
    const environment = { DATABASE_URL: databaseUrl, RATE_LIMIT_REQUESTS_PER_MINUTE: '600', RUN_WORKERS: 'false' };
    const servers = await Promise.all([stage.server(environment), stage.server(environment)]);
    const rounds = stage.pick({ small: 1, full: 5 });
    const results: { counts: Record<string, number>; byProcess: string[] }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const key = await stage.key(databaseUrl, `limited-${round}`, { requestsPerMinute: limit });
      const statuses = await Promise.all(
        Array.from({ length: sent }, (_, index) =>
          fetch(`${servers[index % 2]!.baseUrl}/v1/models`, { headers: bearer(key) }).then(
            (response) => response.arrayBuffer().then(() => response.status),
            () => 0,
          ),
        ),
      );
      const counts = tally(statuses);
      const byProcess = servers.map((_, process) => describeTally(tally(statuses.filter((__, index) => index % 2 === process))));
      stage.print(`round ${round}: ${sent} concurrent requests, ${limit}/minute: ${describeTally(counts)} (first process ${byProcess[0]}, second ${byProcess[1]})`);
      results.push({ counts, byProcess });
    }
    const served = results.map(({ counts }) => counts['200'] ?? 0);
    const refused = results.map(({ counts }) => counts['429'] ?? 0);
    return {
      figures: { limit, sent, rounds: results },
      goals: [
        checked(`exactly ${limit} served, every round`, served.every((count) => count === limit), `served per round: ${served.join(', ')}`),
        checked(`the other ${sent - limit} refused with 429, every round`, refused.every((count) => count === sent - limit), `refused per round: ${refused.join(', ')}`),
        checked('both processes still run', servers.every((server) => server.alive()), servers.map((server) => (server.alive() ? 'running' : 'exited')).join(', ')),
      ],
    };
  },
};
