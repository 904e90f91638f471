import { randomUUID } from 'node:crypto';

/**
 * A multipart/form-data body built in memory: fields, then one file part. (undici's FormData
 * does not stream Node's Blob here, and upstream uploads are bounded by MAX_BODY_BYTES anyway.)
 */
export function buildMultipartBody(
  fields: Record<string, string>,
  file: { field: string; filename: string; contentType: string; data: Uint8Array },
): { body: Buffer; contentType: string } {
  const boundary = `----ai-primitives-${randomUUID()}`;
  const escape = (value: string) => value.replace(/["\r\n]/g, '_');
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(name)}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${escape(file.field)}"; filename="${escape(file.filename)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
    ),
    Buffer.from(file.data),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
