import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A copy of a GGUF file with `tokenizer.chat_template` added to its metadata, so a tiny base
 * model can stand in for a chat model: node-llama-cpp then drives it through a chat wrapper,
 * with function calling. Only the header changes; tensor data moves to the next aligned offset.
 */
export async function withChatTemplate(sourcePath: string, chatTemplate: string, fileName: string): Promise<string> {
  const source = await readFile(sourcePath);
  const reader = new HeaderReader(source);
  if (source.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${sourcePath} is not a GGUF file`);
  reader.offset = 4;
  const version = reader.u32();
  const tensorCount = reader.u64();
  const kvCount = reader.u64();
  const kvStart = reader.offset;
  let alignment = 32;
  for (let index = 0n; index < kvCount; index++) {
    const key = reader.string();
    const type = reader.u32();
    if (key === 'general.alignment') alignment = source.readUInt32LE(reader.offset);
    reader.skipValue(type);
  }
  const kvEnd = reader.offset;
  for (let index = 0n; index < tensorCount; index++) {
    reader.string();
    const dimensions = reader.u32();
    reader.offset += 8 * dimensions + 4 + 8;
  }
  const tensorInfoEnd = reader.offset;
  const dataStart = align(tensorInfoEnd, alignment);

  const header = Buffer.alloc(24);
  header.write('GGUF', 0, 'latin1');
  header.writeUInt32LE(version, 4);
  header.writeBigUInt64LE(tensorCount, 8);
  header.writeBigUInt64LE(kvCount + 1n, 16);
  const templateEntry = Buffer.concat([ggufString('tokenizer.chat_template'), u32(8), ggufString(chatTemplate)]);
  const beforeData = Buffer.concat([header, source.subarray(kvStart, kvEnd), templateEntry, source.subarray(kvEnd, tensorInfoEnd)]);
  const padding = Buffer.alloc(align(beforeData.length, alignment) - beforeData.length);
  const directory = await mkdtemp(path.join(tmpdir(), 'gguf-chat-'));
  const target = path.join(directory, fileName);
  await writeFile(target, Buffer.concat([beforeData, padding, source.subarray(dataStart)]));
  return target;
}

/** The ChatML template many chat models ship; node-llama-cpp recognises it. */
export const chatMlTemplate =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const valueSizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

class HeaderReader {
  offset = 0;
  readonly buffer: Buffer;
  constructor(buffer: Buffer) {
    this.buffer = buffer;
  }
  u32(): number {
    const value = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }
  u64(): bigint {
    const value = this.buffer.readBigUInt64LE(this.offset);
    this.offset += 8;
    return value;
  }
  string(): string {
    const length = Number(this.u64());
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  skipValue(type: number): void {
    if (type === 8) this.string();
    else if (type === 9) {
      const itemType = this.u32();
      const count = Number(this.u64());
      for (let index = 0; index < count; index++) this.skipValue(itemType);
    } else if (valueSizes[type] !== undefined) this.offset += valueSizes[type];
    else throw new Error(`unknown GGUF value type ${type}`);
  }
}

function align(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

function ggufString(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([length, bytes]);
}
