import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.ts';
import { startTestServer, type TestServer } from './test-server.ts';

/**
 * A test server whose model `fake:held` answers each request only when the test releases it
 * (`fake.held`), for tests that choose when operations end.
 */
export async function startHeldUpstreamServer(environment: Record<string, string>): Promise<{ fake: FakeOpenAi; server: TestServer; close(): Promise<void> }> {
  const fake = await startFakeOpenAi();
  const server = await startTestServer({
    OPENAI_COMPAT_UPSTREAMS: JSON.stringify([{ name: 'fake', base_url: `${fake.baseUrl}/v1`, models: ['held'] }]),
    ...environment,
  }).catch(async (error: unknown) => {
    await fake.close();
    throw error;
  });
  return {
    fake,
    server,
    close: async () => {
      fake.held.releaseAll();
      await server.close();
      await fake.close();
    },
  };
}
