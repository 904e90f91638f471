import { startFakeOpenAi } from '../fakes/fake-openai.ts';
import { raceCancelsAgainstCompletion } from '../helpers/cancel-race.ts';
import { checked } from './report.ts';
import type { Scenario } from './stage.ts';

/**
 * Cancels raced against the completion of async operations (test/helpers/cancel-race.ts), at and
 * around the moment the upstream answers, against a server in its own process: a cancel answered
 * 200 must end `cancelled` with nothing stored or announced, and any other answer is a 409.
 */
export const cancelRaces: Scenario = {
  name: 'cancel-races',
  summary: 'cancel-vs-complete races: 0 cancels answered 200 that end other than cancelled',
  timeoutMs: { small: 120_000, full: 600_000 },
  async run(stage) {
    const operations = stage.pick({ small: 100, full: 1000 });
    // The race releases the fake's held answers itself: the fake runs in this process.
    const fake = await startFakeOpenAi();
    stage.defer('fake upstream', () => fake.close());
    const databaseUrl = await stage.database();
    const server = await stage.server({
      DATABASE_URL: databaseUrl,
      OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['held'] }]),
      OPERATION_CONCURRENCY: '8',
      JOBS_SUPERVISE_SECONDS: '1',
    });
    const key = await stage.key(databaseUrl, 'cancel-races');
    const { figures, violations } = await raceCancelsAgainstCompletion({ baseUrl: server.baseUrl, key, upstream: fake.held, model: 'fake:held', operations, concurrency: 8 });
    // The fake keeps every request it saw; a thousand races need none of them after.
    fake.requests.length = 0;
    stage.print(`${operations} races: ${figures.cancelsWon} cancels won (200), ${figures.conflicts} lost (409, ${figures.conflictsWhileCompleting} while the result was being stored)`);
    stage.print(`won after the upstream had answered: ${figures.wonAfterAnswer} (${figures.wonAfterAnswerWithDestination} with a result_destination); early cancels won ${figures.earlyWon} of ${figures.early}`);
    stage.print(`final statuses: ${JSON.stringify(figures.finalStatuses)}`);
    for (const violation of violations.slice(0, 20)) stage.print(`violation: ${violation}`);
    if (violations.length > 20) stage.print(`… and ${violations.length - 20} more violations`);
    return {
      figures: { ...figures, violations: violations.length },
      goals: [
        checked('every cancel answered 200 ended cancelled, with nothing stored or delivered; every 409 was for an ended operation', violations.length === 0, `${violations.length} violations`),
        checked('every cancel was answered 200 or 409', figures.cancelsWon + figures.conflicts === operations, `${figures.cancelsWon} + ${figures.conflicts} of ${operations}`),
        checked('both sides won races at the moment of completion (or the race proved nothing)', figures.conflicts > 0 && figures.wonAfterAnswer > 0, `${figures.conflicts} lost, ${figures.wonAfterAnswer} won after the answer`),
        checked('the server process still runs', server.alive(), server.alive() ? 'running' : 'exited'),
      ],
    };
  },
};
