// Its declarations: also for projects that type-check this file by following an import (a consumer of AppRouter).
/// <reference path="./espeak-ng.d.ts" />
import ESpeakNg from 'espeak-ng';
import { Mp3Encoder } from '@breezystack/lamejs';
import { ProviderError } from '../spec/provider-error.ts';
import type { AudioFormat, SpeechRequest, SpeechResult } from '../spec/speech.ts';
import { contentTypeOfAudio } from '../common/audio-content-types.ts';
import type { Unscoped } from '../spec/call-scope.ts';
import { espeakFormats } from './catalog.ts';


/** OpenAI's voice names, mapped onto eSpeak voices and variants so existing clients keep working. */
const voices: Record<string, string> = {
  alloy: 'en-us',
  ash: 'en-us+m3',
  ballad: 'en-gb+m2',
  coral: 'en-us+f2',
  echo: 'en-us+m1',
  fable: 'en-gb',
  onyx: 'en-us+m7',
  nova: 'en-us+f3',
  sage: 'en-us+f4',
  shimmer: 'en-us+f1',
  verse: 'en-gb+m3',
};
export const espeakVoices = Object.keys(voices);

const wordsPerMinute = 175;
/** OpenAI's pcm is 24 kHz signed 16-bit mono. */
const pcmRate = 24_000;

interface Wave {
  rate: number;
  samples: Int16Array;
}

/** The PCM inside espeak's RIFF output (16-bit mono). */
function readWave(bytes: Uint8Array): Wave {
  const view = Buffer.from(bytes);
  const rate = view.readUInt32LE(24);
  let offset = 12;
  while (offset + 8 <= view.length) {
    const id = view.toString('latin1', offset, offset + 4);
    const size = view.readUInt32LE(offset + 4);
    if (id === 'data') {
      const end = Math.min(view.length, offset + 8 + size);
      const data = view.subarray(offset + 8, end);
      return { rate, samples: new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + (data.length & ~1))) };
    }
    offset += 8 + size;
  }
  throw new Error('espeak produced no audio');
}

function resample(wave: Wave, rate: number): Int16Array {
  if (wave.rate === rate) return wave.samples;
  const out = new Int16Array(Math.floor((wave.samples.length * rate) / wave.rate));
  for (let index = 0; index < out.length; index++) {
    const position = (index * wave.rate) / rate;
    const left = Math.floor(position);
    const right = Math.min(left + 1, wave.samples.length - 1);
    const fraction = position - left;
    out[index] = Math.round(wave.samples[left]! * (1 - fraction) + wave.samples[right]! * fraction);
  }
  return out;
}

function encodeWav(samples: Int16Array, rate: number): Uint8Array {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + samples.byteLength, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(samples.byteLength, 40);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}

function encodeMp3(samples: Int16Array, rate: number): Uint8Array {
  const encoder = new Mp3Encoder(1, rate, 64);
  const parts: Uint8Array[] = [];
  for (let start = 0; start < samples.length; start += 1152) {
    const frame = encoder.encodeBuffer(samples.subarray(start, start + 1152));
    if (frame.length > 0) parts.push(new Uint8Array(frame));
  }
  parts.push(new Uint8Array(encoder.flush()));
  return Buffer.concat(parts);
}

/**
 * eSpeak NG compiled to WASM (from npm): offline, fast and intelligible, if robotic. WAV, 24 kHz
 * PCM and MP3 (lamejs) out; one synthesis at a time on a bounded queue.
 */
export class EspeakSpeech {
  readonly formats = espeakFormats;

  async synthesize(request: Unscoped<SpeechRequest>): Promise<SpeechResult> {
    const voice = request.voice ?? 'alloy';
    const espeakVoice = voices[voice];
    if (!espeakVoice) throw new ProviderError('invalid_request', `voice: one of ${espeakVoices.join(', ')}`, { param: 'voice' });
    if (!(this.formats as readonly string[]).includes(request.format)) {
      throw new ProviderError('invalid_request', `response_format: the offline voice produces ${this.formats.join(', ')}`, { param: 'response_format' });
    }
    // One synthesis at a time per compute thread: the pool runs one task per thread.
    const wav = await (async () => {
      // A fresh module per call: the CLI entry point runs once and keeps its state.
      const espeak = await ESpeakNg({
        arguments: ['-w', 'out.wav', '-v', espeakVoice, '-s', String(Math.round(wordsPerMinute * request.speed)), '--', request.text],
      });
      return espeak.FS.readFile('out.wav') as Uint8Array;
    })();
    const wave = readWave(wav);
    const durationSeconds = wave.samples.length / wave.rate;
    const audio =
      request.format === 'pcm'
        ? (() => {
            const samples = resample(wave, pcmRate);
            return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
          })()
        : request.format === 'mp3'
          ? encodeMp3(wave.samples, wave.rate)
          : encodeWav(wave.samples, wave.rate);
    return { audio, format: request.format, contentType: contentTypeOfAudio[request.format], durationSeconds };
  }
}
