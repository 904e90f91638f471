import { describe, expect, it } from 'vitest';
import { resourceTreeSource, type TreeRoute } from '../../client/scripts/resource-tree.ts';

const route = (procedurePath: string, facts: Partial<TreeRoute> = {}): TreeRoute => ({
  procedurePath,
  kind: 'mutation',
  method: 'POST',
  path: `/${procedurePath.replaceAll('.', '/')}`,
  summary: undefined,
  inputKeys: ['input'],
  emptyInputValid: false,
  ...facts,
});

/** A new route needs no entry anywhere for the client to call it: its router path is its name, its facts pick its shape. */
describe('the generated resource tree', () => {
  it('calls a new route by its router path, as its input and its stream say', () => {
    const source = resourceTreeSource([
      route('infra.ai.tokenize', { summary: 'Count tokens' }),
      route('infra.ai.things.get', { kind: 'query', method: 'GET', path: '/infra/ai/things/{thing_id}', inputKeys: ['thing_id'] }),
      route('infra.ai.things.list', { kind: 'query', method: 'GET', path: '/infra/ai/things', inputKeys: ['limit'], emptyInputValid: true }),
      route('infra.ai.stories.create', { path: '/infra/ai/stories', inputKeys: ['prompt', 'async', 'stream'], emptyInputValid: true }),
      route('infra.ai.stories.stream', { kind: 'subscription', path: '/infra/ai/stories' }),
    ]);
    expect(source).toContain(['      ai: {', '        /** POST /infra/ai/tokenize: Count tokens */', "        tokenize: call('infra.ai.tokenize'),"].join('\n'));
    expect(source).toContain("get: byId('infra.ai.things.get', 'thing_id'),");
    expect(source).toContain("list: optionalInput('infra.ai.things.list'),");
    expect(source).toContain("create: callOrStream('infra.ai.stories.create', 'infra.ai.stories.stream'),");
    expect(source).toContain("stream: stream('infra.ai.stories.stream'),");
  });

  it('refuses a name that two routes would share', () => {
    // infra.ai.rerank is called infra.ai.rerank.create (client-names.ts).
    expect(() => resourceTreeSource([route('infra.ai.rerank'), route('infra.ai.rerank.create')])).toThrow('infra.ai.rerank.create: the client name "infra.ai.rerank.create" is taken');
    expect(() => resourceTreeSource([route('infra.ai.tokenize'), route('infra.ai.tokenize.batch')])).toThrow('infra.ai.tokenize.batch: "infra.ai.tokenize.batch" runs through the method tokenize');
  });
});
