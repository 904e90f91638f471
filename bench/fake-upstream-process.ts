import { startFakeOpenAi } from '../test/fakes/fake-openai.ts';

/** The fake OpenAI-compatible upstream in its own process, so it does not share the load generator's CPU time slice. */
const fake = await startFakeOpenAi();
// The fake records every request for tests; a benchmark sends hundreds of thousands.
setInterval(() => (fake.requests.length = 0), 1000).unref();
process.stdout.write(`${JSON.stringify({ baseUrl: fake.baseUrl })}\n`);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
