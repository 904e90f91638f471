import { createClient } from '@ai-primitives/client';

const ss = createClient({ baseUrl: 'http://localhost:8787', apiKey: 'sk_live_example' });

// A misspelt field and a field of the wrong type: both must fail to type-check.
await ss.infra.ai.embeddings.create({ model: 'local:universal-sentence-encoder-lite', inptu: 'hello' });
await ss.infra.ai.documents.chunk({ text: 'Atomic AI primitives.', max_chars: '240' });
