/**
 * Small real files for the request examples the schemas carry into /openapi.json (where the API
 * Console and the soak benchmark read them): each is one a route accepts as it is.
 */

/** A 1×1 PNG, base64. */
export const pixelPng = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAAABJRU5ErkJggg==';

/** A tenth of a second of 16 kHz mono silence as WAV, base64. */
export const silentWav = (() => {
  const samples = 1600;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(16_000, 24);
  wav.writeUInt32LE(32_000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples * 2, 40);
  return wav.toString('base64');
})();

/** A short Markdown note, base64. */
export const markdownNote = Buffer.from('# Field notes\n\nThe river rose two metres overnight.\n\n- Bridge closed\n- Ferry running\n').toString('base64');
