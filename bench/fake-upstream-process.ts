import { startFakeOpenAi } from '../test/fakes/fake-openai.ts';

/** The fake OpenAI-compatible upstream in its own process, so it does not share the load generator's CPU time slice. */
const fake = await startFakeOpenAi();
process.stdout.write(`${JSON.stringify({ baseUrl: fake.baseUrl })}\n`);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
