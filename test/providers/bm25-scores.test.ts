import { describe, expect, it } from 'vitest';
import { bm25Scores } from '../../providers/local/bm25-rerank.ts';

/** Okapi BM25 with k1 = 1.2 and b = 0.75, written out for one term of one document. */
const term = (documents: number, frequency: number, termFrequency: number, length: number, averageLength: number) =>
  (Math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5)) * termFrequency * 2.2) / (termFrequency + 1.2 * (0.25 + (0.75 * length) / averageLength));

describe('BM25 scores', () => {
  const documents = ['The rare word', 'the common word', 'nothing here'];

  it('are the Okapi formula over the given documents', () => {
    // Lengths 3, 3, 2 (average 8/3); "rare" is in one document, "word" in two.
    const scores = bm25Scores('rare WORD', documents);
    expect(scores[0]).toBeCloseTo(term(3, 1, 1, 3, 8 / 3) + term(3, 2, 1, 3, 8 / 3), 12);
    expect(scores[1]).toBeCloseTo(term(3, 2, 1, 3, 8 / 3), 12);
    expect(scores[2]).toBe(0);
    expect(scores[0]).toBeCloseTo(1.3802518231206125, 12);
    expect(scores[1]).toBeCloseTo(0.44713858782297017, 12);
  });

  it('counts a repeated query word once and a repeated document word by its frequency', () => {
    const scores = bm25Scores('cat cat', ['cat cat dog', 'cat dog dog']);
    expect(scores[0]).toBeCloseTo(term(2, 2, 2, 3, 3), 12);
    expect(scores[1]).toBeCloseTo(term(2, 2, 1, 3, 3), 12);
  });

  it('reads letters and digits of any script as words, and nothing else', () => {
    expect(bm25Scores('Ünïcode 42', ['ünïcode-42!', '...'])[0]).toBeCloseTo(2 * term(2, 1, 1, 2, 1), 12);
    expect(bm25Scores('', ['anything'])).toEqual([0]);
  });
});
