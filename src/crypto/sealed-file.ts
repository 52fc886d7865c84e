// Sealed files: a file's bytes at rest as a sequence of independently sealed chunks.
//
//   file  = chunk*            chunk = length (4 bytes, big-endian) ‖ sealed value (see seal.ts)
//
// Each chunk's context is `file/<fileId>/<index>/<last|more>`: chunks cannot be reordered, moved to another file,
// dropped from the middle, or the file cut short (the last chunk says it is last) without opening failing.
import { openBytes, sealBytes } from "./seal.ts";

export const CHUNK_BYTES = 64 * 1024;

function context(fileId: string, index: number, last: boolean): string {
  return `file/${fileId}/${index}/${last ? "last" : "more"}`;
}

export function sealFile(key: Uint8Array, fileId: string, plain: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const count = Math.max(1, Math.ceil(plain.length / CHUNK_BYTES));
  for (let i = 0; i < count; i++) {
    const sealed = sealBytes(key, plain.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES), context(fileId, i, i === count - 1));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, sealed.length);
    parts.push(length, sealed);
  }
  return concat(parts);
}

/** The plain bytes, or null when any chunk fails to open, is missing, or the file was cut or extended. */
export function openFile(key: Uint8Array, fileId: string, sealed: Uint8Array): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < sealed.length; i++) {
    if (at + 4 > sealed.length) return null;
    const length = new DataView(sealed.buffer, sealed.byteOffset + at, 4).getUint32(0);
    const body = sealed.subarray(at + 4, at + 4 + length);
    if (body.length !== length) return null;
    at += 4 + length;
    const last = at === sealed.length;
    const plain = openBytes(key, body, context(fileId, i, last));
    if (!plain) return null;
    chunks.push(plain);
  }
  return chunks.length === 0 ? null : concat(chunks);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The plain chunks of a sealed file of `size` bytes, opened one at a time as they are read through `read(at, length)`
 * (a positioned read of the file on disk; what it returns is used before the next read, so the reader may reuse one
 * buffer), so a large file is never whole in memory. Throws when a chunk does not
 * open, is missing, or the file was cut or extended: the chunks already yielded were genuine, the rest is not.
 */
export function* openFileChunks(key: Uint8Array, fileId: string, size: number, read: (at: number, length: number) => Uint8Array): Generator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < size || i === 0; i++) {
    if (at + 4 > size) throw new Error(`file ${fileId} is cut short`);
    const head = read(at, 4);
    const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
    if (at + 4 + length > size) throw new Error(`file ${fileId} is cut short`);
    const body = read(at + 4, length);
    at += 4 + length;
    const plain = openBytes(key, body, context(fileId, i, at === size));
    if (!plain) throw new Error(`chunk ${i} of file ${fileId} does not open`);
    yield plain;
  }
}
