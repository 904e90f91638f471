import OpenAI from 'openai';
import { startFakeUpstream, type FakeHandler, type FakeUpstream } from '../fakes/fake-upstream-server.ts';
import { startTestServer, type TestServer } from './test-server.ts';
import { upstreamEnvironment } from './upstream-environment.ts';

export interface UpstreamTestServer {
  server: TestServer;
  key: string;
  /** The official SDK, pointed at the server's /v1. */
  client: OpenAI;
  openAiFake: FakeUpstream;
  workersFake: FakeUpstream;
  close(): Promise<void>;
}

/**
 * A test server whose `openai` and `workers-ai` providers are loopback fakes answering with the
 * given handlers, plus a funded key and an SDK client.
 */
export async function startUpstreamTestServer(options: {
  openAi: { handler: FakeHandler; models: string };
  workersAi: { handler: FakeHandler; models: string };
}): Promise<UpstreamTestServer> {
  const openAiFake = await startFakeUpstream(options.openAi.handler);
  const workersFake = await startFakeUpstream(options.workersAi.handler);
  const server = await startTestServer(
    upstreamEnvironment({ openAi: { fake: openAiFake, models: options.openAi.models }, workersAi: { fake: workersFake, models: options.workersAi.models } }),
  );
  const key = (await server.createKey()).secret;
  return {
    server,
    key,
    client: new OpenAI({ apiKey: key, baseURL: `${server.baseUrl}/v1`, maxRetries: 0 }),
    openAiFake,
    workersFake,
    async close() {
      await server.close();
      await openAiFake.close();
      await workersFake.close();
    },
  };
}
