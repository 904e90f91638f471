import type { FakeUpstream } from '../fakes/fake-upstream-server.ts';
import { fakeAccountId } from '../fakes/fake-workers-ai.ts';

/** The settings that point the server's `openai` and `workers-ai` providers at loopback fakes. */
export function upstreamEnvironment(options: {
  openAi?: { fake: FakeUpstream; models: string };
  workersAi?: { fake: FakeUpstream; models: string };
}): Record<string, string> {
  return {
    ...(options.openAi
      ? { OPENAI_API_KEY: 'sk-upstream', OPENAI_BASE_URL: `${options.openAi.fake.baseUrl}/v1`, OPENAI_MODELS: options.openAi.models }
      : {}),
    ...(options.workersAi
      ? {
          WORKERS_AI_ACCOUNT_ID: fakeAccountId,
          WORKERS_AI_API_TOKEN: 'cf-token',
          WORKERS_AI_BASE_URL: `${options.workersAi.fake.baseUrl}/client/v4`,
          WORKERS_AI_MODELS: options.workersAi.models,
        }
      : {}),
  };
}
