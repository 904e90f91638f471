import { randomUUID } from 'node:crypto';

/**
 * A multipart/form-data body built in memory: fields, then the file parts. (undici's FormData
 * does not stream Node's Blob here, and upstream uploads are bounded by MAX_BODY_BYTES anyway.)
 */
export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export function buildMultipartBody(fields: Record<string, string | string[]>, file: MultipartFile | MultipartFile[]): { body: Buffer; contentType: string } {
  const boundary = `----ai-primitives-${randomUUID()}`;
  const escape = (value: string) => value.replace(/["\r\n]/g, '_');
  const parts: Buffer[] = [];
  for (const [name, values] of Object.entries(fields)) {
    // A list repeats its field, as `timestamp_granularities[]` is sent.
    for (const value of Array.isArray(values) ? values : [values]) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"\r\n\r\n${value}\r\n`));
    }
  }
  for (const part of Array.isArray(file) ? file : [file]) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${escape(part.field)}"; filename="${escape(part.filename)}"\r\nContent-Type: ${part.contentType}\r\n\r\n`,
      ),
      Buffer.from(part.data),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
