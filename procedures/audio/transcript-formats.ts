import type { TranscriptSegment } from '../../providers/spec/transcription.ts';

function clock(seconds: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(seconds * 1000));
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const secs = Math.floor((total % 60_000) / 1000);
  const millis = total % 1000;
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(millis, 3)}`;
}

/** Segments, or the whole text as one when the model gave none. */
function cuesOf(text: string, segments: TranscriptSegment[], duration: number | null): TranscriptSegment[] {
  return segments.length > 0 ? segments : [{ start: 0, end: duration ?? 0, text }];
}

export function toSrt(text: string, segments: TranscriptSegment[], duration: number | null): string {
  return cuesOf(text, segments, duration)
    .map((cue, index) => `${index + 1}\n${clock(cue.start, ',')} --> ${clock(cue.end, ',')}\n${cue.text}\n`)
    .join('\n');
}

export function toVtt(text: string, segments: TranscriptSegment[], duration: number | null): string {
  return `WEBVTT\n\n${cuesOf(text, segments, duration)
    .map((cue) => `${clock(cue.start, '.')} --> ${clock(cue.end, '.')}\n${cue.text}\n`)
    .join('\n')}`;
}
