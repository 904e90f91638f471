import { maximalRequests, oversizeRequests, type HeavyRequest } from '../helpers/heavy-requests.ts';
import { cutDuringUpload } from './heavy-sender.ts';
import type { HeavySenders } from './heavy-senders.ts';
import { runPacedMix } from './paced-mix.ts';
import { checked, describeLatency, describeTally, loadLatency, tally, timed, type LatencyFigures } from './report.ts';
import type { Goal, Scenario } from './stage.ts';

/**
 * /healthz paced at 50 requests/s from the load generator process while eight clients keep the
 * local compute pool saturated: first with valid maximal inputs (the bench/isolation.ts mix),
 * then with inputs over the local models' limits, which are refused with 400. The event loop must
 * keep answering health checks within 20 ms (p99) either way.
 */

const clients = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Saturation {
  /** Each answer's status (`aborted` when the phase ended first, as the clients leave). */
  fates: string[];
  stop(): Promise<void>;
}

/** Eight clients sending `requests` in turn, each waiting for its answer before the next, until stopped. */
function saturate(senders: HeavySenders, baseUrl: string, key: string, requests: HeavyRequest[]): Saturation {
  const fates: string[] = [];
  const leave = new AbortController();
  const loops = Array.from({ length: clients }, async (_, client) => {
    for (let index = client; !leave.signal.aborted; index++) {
      const sent = await senders.send(baseUrl, key, requests[index % requests.length]!, { signal: leave.signal });
      fates.push(cutDuringUpload(sent) ? 'cut during upload' : sent.fate);
    }
  });
  return {
    fates,
    async stop() {
      leave.abort();
      await Promise.all(loops);
    },
  };
}

export const healthzUnderSaturation: Scenario = {
  name: 'healthz-under-saturation',
  summary: '/healthz p99 < 20 ms while the compute pool is saturated by valid maximal inputs, then by oversize ones refused with 400',
  timeoutMs: { small: 90_000, full: 240_000 },
  async run(stage) {
    const warmUpMs = stage.pick({ small: 2000, full: 5000 });
    const probeMs = stage.pick({ small: 3000, full: 10_000 });
    const databaseUrl = await stage.database();
    const server = await stage.server({ DATABASE_URL: databaseUrl });
    const key = await stage.key(databaseUrl, 'saturation', { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 });
    const senders = await stage.heavySenders();
    const probe = async () => loadLatency(await runPacedMix([{ kind: 'GET /healthz', url: `${server.baseUrl}/healthz`, ratePerSecond: 50 }], probeMs));

    const idle = await probe();
    stage.print(`/healthz on the idle server: ${describeLatency(idle)}`);
    const phases: { name: string; requests: HeavyRequest[]; expected: string[] }[] = [
      // 503: a line is full (shed before the body is read); 504: a task stopped at LOCAL_TASK_TIMEOUT_MS (bounded work, as designed).
      { name: 'valid maximal inputs', requests: await maximalRequests(), expected: ['200', '503', '504'] },
      { name: 'oversize inputs', requests: oversizeRequests(), expected: ['400', '503'] },
    ];
    const figures: Record<string, unknown> = { idle };
    const goals: Goal[] = [];
    for (const phase of phases) {
      const saturation = saturate(senders, server.baseUrl, key, phase.requests);
      let health: LatencyFigures;
      try {
        await sleep(warmUpMs);
        health = await probe();
      } finally {
        await saturation.stop();
      }
      const answers = tally(saturation.fates);
      // The clients' leaving and refusals they could not read (the race of a close with an upload) are counted apart.
      const apart = ['aborted', 'cut during upload'];
      const unexpected = saturation.fates.filter((fate) => !phase.expected.includes(fate) && !apart.includes(fate));
      stage.print(`/healthz while ${clients} clients send ${phase.name}: ${describeLatency(health)}; their answers: ${describeTally(answers)}`);
      figures[phase.name] = { health, answers };
      goals.push(
        checked(`/healthz never fails under ${phase.name}`, health.errors === 0, `${health.errors} of ${health.requests}`),
        timed(`/healthz p99 < 20 ms under ${phase.name}`, health.p99Ms < 20, describeLatency(health)),
        checked(`${phase.name} are answered ${phase.expected.join(', ')} only`, unexpected.length === 0 && saturation.fates.some((fate) => phase.expected.includes(fate)), describeTally(answers)),
      );
    }
    goals.push(checked('the server process still runs', server.alive(), server.alive() ? 'running' : 'exited'));
    return { figures, goals };
  },
};
