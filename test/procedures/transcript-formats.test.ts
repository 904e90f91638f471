import { describe, expect, it } from 'vitest';
import { toSrt, toVtt } from '../../procedures/audio/transcript-formats.ts';

const segments = [
  { start: 0, end: 2.5, text: 'Hello there.' },
  { start: 2.5, end: 3661.0456, text: 'An hour later.' },
];

describe('transcript formats', () => {
  it('writes SRT cues numbered from 1, with comma milliseconds', () => {
    expect(toSrt('ignored', segments, 3662)).toBe('1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n2\n00:00:02,500 --> 01:01:01,046\nAn hour later.\n');
  });

  it('writes WebVTT with its header and dot milliseconds', () => {
    expect(toVtt('ignored', segments, 3662)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n\n00:00:02.500 --> 01:01:01.046\nAn hour later.\n');
  });

  it('makes the whole text one cue when the model gave no segments', () => {
    expect(toSrt('All of it.', [], 4.2)).toBe('1\n00:00:00,000 --> 00:00:04,200\nAll of it.\n');
    expect(toVtt('All of it.', [], null)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:00.000\nAll of it.\n');
  });

  it('never writes a negative time', () => {
    expect(toSrt('x', [{ start: -0.2, end: 0.0004, text: 'x' }], null)).toBe('1\n00:00:00,000 --> 00:00:00,000\nx\n');
  });
});
