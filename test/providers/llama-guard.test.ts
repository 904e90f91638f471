import { describe, expect, it } from 'vitest';
import { hazardsOf, llamaGuardResult } from '../../providers/workers-ai/llama-guard-model.ts';

describe('Llama Guard verdicts', () => {
  it('reads the JSON mode verdict', () => {
    expect(hazardsOf({ safe: false, categories: ['S1', 'S10'] })).toEqual(['S1', 'S10']);
    expect(hazardsOf({ safe: true, categories: [] })).toEqual([]);
    expect(hazardsOf({ safe: true, categories: ['S1'] })).toEqual([]);
  });

  it('reads the plain text verdict', () => {
    expect(hazardsOf('safe')).toEqual([]);
    expect(hazardsOf('unsafe\nS1,S10')).toEqual(['S1', 'S10']);
    expect(hazardsOf('  unsafe\nS11\n')).toEqual(['S11']);
  });

  it('scores each category its hazards name 1, the rest 0, in OpenAI terms', () => {
    const result = llamaGuardResult({ safe: false, categories: ['S4', 'S10', 'S7'] });
    expect(result.flagged).toBe(true);
    expect(Object.entries(result.scores).filter(([, score]) => score === 1).map(([category]) => category)).toEqual(['hate', 'sexual', 'sexual/minors']);
    expect(Object.values(result.scores).filter((score) => score !== 0 && score !== 1)).toEqual([]);
    expect(result.categories.hate).toBe(true);
    expect(result.categories.violence).toBe(false);
    expect(result.appliedInputTypes.hate).toEqual(['text']);
  });

  it('flags nothing for a safe verdict', () => {
    const result = llamaGuardResult('safe');
    expect(result.flagged).toBe(false);
    expect(Object.values(result.categories).some(Boolean)).toBe(false);
  });
});
