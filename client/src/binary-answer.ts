/** An answer of bytes (audio, plain-text transcripts) rather than JSON, with its content type. */
export interface BinaryAnswer {
  contentType: string;
  body: Uint8Array;
}
