// The sealed backup file (`.kbk`): one file holding the database snapshot, the sealed room files and the audit head.
//
//   file   = header ‖ chunk*
//   header = "KABINETB" (8 bytes) ‖ length (4 bytes, big-endian) ‖ JSON {format, createdAt, masterKeyId, backupId}
//   chunk  = length (4 bytes, big-endian) ‖ sealed value (seal.ts) of up to 1 MiB of the archive stream
//   stream = entry* ‖ 0x0000          entry = name length (2) ‖ name (UTF-8) ‖ size (8) ‖ bytes
//
// Protects: everything in it, against whoever holds the file but not the master key. The key is derived from the
// master key with HKDF (backup-specific label, the backup id as salt), so the master key itself never seals bulk
// data and each backup has its own key. Each chunk's context names the header's SHA-256, the chunk's index and
// whether it is the last: an altered header, a reordered, dropped or altered chunk, or a file cut short fails to
// open. Streamed both ways: a 1 GB database never sits in memory whole.
import { createHash, hkdfSync } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { randomBytes } from "../crypto/aead.ts";
import type { MasterKey } from "../crypto/master-key.ts";
import { openBytes, sealBytes } from "../crypto/seal.ts";

const MAGIC = new TextEncoder().encode("KABINETB");
export const BACKUP_FORMAT = 1;
const CHUNK_PLAIN_BYTES = 1024 * 1024;
const MAX_SEALED_CHUNK = CHUNK_PLAIN_BYTES + 64;
const MAX_HEADER_BYTES = 4096;

export interface BackupHeader {
  format: number;
  createdAt: number;
  /** The id (public fingerprint) of the master key the backup's key derives from. */
  masterKeyId: string;
  /** Random, per backup: the HKDF salt. */
  backupId: string;
}

/** A backup that does not open: altered, cut short, not a backup, or sealed under another key. One line for people. */
export class BackupFileError extends Error {
  override readonly name = "BackupFileError";
}

export function newBackupHeader(masterKey: MasterKey, createdAt: number): BackupHeader {
  return { format: BACKUP_FORMAT, createdAt, masterKeyId: masterKey.id, backupId: Buffer.from(randomBytes(16)).toString("hex") };
}

function backupKey(masterKey: MasterKey, header: BackupHeader): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", masterKey.key, Buffer.from(header.backupId, "hex"), "kabinet/backup/v1", 32));
}

function encodeHeader(header: BackupHeader): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(MAGIC.length + 4 + json.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length);
  out.set(json, MAGIC.length + 4);
  return out;
}

function chunkContext(headerHash: string, index: number, last: boolean): string {
  return `backup/${headerHash}/${index}/${last ? "last" : "more"}`;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** Writes a backup to an open file: `add` entries, then `finish`. Holds at most two chunks in memory. */
export class BackupWriter {
  private readonly key: Uint8Array;
  private readonly headerHash: string;
  private readonly headerBytes: Uint8Array;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** A full chunk not yet sealed: only the next one (or finish) tells whether it is the last. */
  private full: Uint8Array | null = null;
  private index = 0;
  private started = false;
  written = 0;

  constructor(
    private readonly file: FileHandle,
    masterKey: MasterKey,
    readonly header: BackupHeader,
  ) {
    this.key = backupKey(masterKey, header);
    this.headerBytes = encodeHeader(header);
    this.headerHash = createHash("sha256").update(this.headerBytes).digest("hex");
  }

  /** One entry: its name and its bytes, from an iterable that yields exactly `size` bytes. */
  async add(name: string, size: number, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const nameBytes = new TextEncoder().encode(name);
    if (nameBytes.length === 0 || nameBytes.length > 0xffff) throw new Error(`bad entry name ${name}`);
    const head = new Uint8Array(2 + nameBytes.length + 8);
    const view = new DataView(head.buffer);
    view.setUint16(0, nameBytes.length);
    head.set(nameBytes, 2);
    view.setBigUint64(2 + nameBytes.length, BigInt(size));
    await this.push(head);
    let seen = 0;
    for await (const piece of body) {
      seen += piece.length;
      if (seen > size) throw new Error(`${name} grew while it was backed up`);
      await this.push(piece);
    }
    if (seen !== size) throw new Error(`${name} shrank while it was backed up`);
  }

  async finish(): Promise<void> {
    await this.push(new Uint8Array(2)); // the end marker: a name of length 0
    if (this.full) await this.seal(this.full, this.pendingBytes === 0);
    if (this.pendingBytes > 0) await this.seal(this.takePending(), true);
  }

  private async push(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(bytes.length - at, CHUNK_PLAIN_BYTES - this.pendingBytes);
      // Copied: the caller may reuse its buffer.
      this.pending.push(bytes.slice(at, at + take));
      this.pendingBytes += take;
      at += take;
      if (this.pendingBytes === CHUNK_PLAIN_BYTES) {
        if (this.full) await this.seal(this.full, false);
        this.full = this.takePending();
      }
    }
  }

  private takePending(): Uint8Array {
    const out = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  private async seal(plain: Uint8Array, last: boolean): Promise<void> {
    if (!this.started) {
      await this.write(this.headerBytes);
      this.started = true;
    }
    if (plain === this.full) this.full = null;
    const sealed = sealBytes(this.key, plain, chunkContext(this.headerHash, this.index++, last));
    await this.write(Buffer.concat([u32(sealed.length), sealed]));
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const { bytesWritten } = await this.file.write(bytes, at, bytes.length - at);
      at += bytesWritten;
    }
    this.written += bytes.length;
  }
}

/** Reads and checks a backup's header; the rest is read by `openBackupEntries`. */
export async function readBackupHeader(file: FileHandle): Promise<{ header: BackupHeader; bytes: Uint8Array }> {
  const start = await readExactly(file, 0, MAGIC.length + 4);
  if (!start || !Buffer.from(start.subarray(0, MAGIC.length)).equals(MAGIC)) throw new BackupFileError("it is not a Kabinet backup (no KABINETB header)");
  const length = new DataView(start.buffer, start.byteOffset).getUint32(MAGIC.length);
  if (length > MAX_HEADER_BYTES) throw new BackupFileError("its header is damaged");
  const json = await readExactly(file, start.length, length);
  if (!json) throw new BackupFileError("it is cut short (inside the header)");
  let header: BackupHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(json)) as BackupHeader;
  } catch {
    throw new BackupFileError("its header is damaged");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new BackupFileError("its header is damaged");
  if (header.format !== BACKUP_FORMAT) throw new BackupFileError(`it has format ${header.format}; this version of Kabinet reads format ${BACKUP_FORMAT}`);
  if (typeof header.masterKeyId !== "string" || typeof header.backupId !== "string" || !/^[0-9a-f]{32}$/.test(header.backupId) || !Number.isSafeInteger(header.createdAt)) {
    throw new BackupFileError("its header is damaged");
  }
  return { header, bytes: Buffer.concat([start, json]) };
}

export interface BackupEntrySink {
  /** A new entry begins; return where its bytes go. */
  begin(name: string, size: number): Promise<(piece: Uint8Array) => Promise<void>>;
  end(name: string): Promise<void>;
}

/**
 * Opens every chunk in order and hands the entries to `sink`. Throws BackupFileError at the first chunk that does
 * not open, when the file ends before its last chunk, or has bytes after it. The sink sees bytes before the whole
 * file is proven: write them somewhere that is thrown away on failure.
 */
export async function openBackupEntries(file: FileHandle, masterKey: MasterKey, sink: BackupEntrySink): Promise<BackupHeader> {
  const { header, bytes } = await readBackupHeader(file);
  if (header.masterKeyId !== masterKey.id) throw new BackupFileError(`it was sealed under master key ${header.masterKeyId}, not ${masterKey.id}`);
  const key = backupKey(masterKey, header);
  const headerHash = createHash("sha256").update(bytes).digest("hex");
  const size = (await file.stat()).size;
  let at = bytes.length;
  let index = 0;
  async function* plain(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const lengthBytes = await readExactly(file, at, 4);
      if (!lengthBytes) throw new BackupFileError(`it is cut short (at chunk ${index})`);
      const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset).getUint32(0);
      if (length > MAX_SEALED_CHUNK) throw new BackupFileError(`it is damaged (chunk ${index} has a bad length)`);
      const sealed = await readExactly(file, at + 4, length);
      if (!sealed) throw new BackupFileError(`it is cut short (in chunk ${index})`);
      at += 4 + length;
      const last = at === size;
      const opened = openBytes(key, sealed, chunkContext(headerHash, index, last));
      if (!opened) {
        throw new BackupFileError(
          last ? `chunk ${index} does not open: the file was altered or damaged` : `chunk ${index} does not open: the file was altered, reordered or cut short`,
        );
      }
      index++;
      yield opened;
      if (last) return;
    }
  }
  const reader = new PullReader(plain());
  for (;;) {
    const nameLength = new DataView((await reader.exactly(2)).buffer).getUint16(0);
    if (nameLength === 0) break;
    const name = new TextDecoder().decode(await reader.exactly(nameLength));
    const entrySize = Number(new DataView((await reader.exactly(8)).buffer).getBigUint64(0));
    const write = await sink.begin(name, entrySize);
    let left = entrySize;
    while (left > 0) {
      const piece = await reader.upTo(left);
      left -= piece.length;
      await write(piece);
    }
    await sink.end(name);
  }
  if (!(await reader.atEnd())) throw new BackupFileError("it has bytes after its end marker");
  return header;
}

async function readExactly(file: FileHandle, position: number, length: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await file.read(out, got, length - got, position + got);
    if (bytesRead === 0) return null;
    got += bytesRead;
  }
  return out;
}

/** Byte-level reads over a stream of opened chunks. */
class PullReader {
  private buffer: Uint8Array = new Uint8Array(0);

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (this.buffer.length === 0) {
      const next = await this.source.next();
      if (next.done) return false;
      this.buffer = next.value;
    }
    return true;
  }

  async upTo(max: number): Promise<Uint8Array> {
    if (!(await this.fill())) throw new BackupFileError("its content ends early");
    const piece = this.buffer.subarray(0, max);
    this.buffer = this.buffer.subarray(piece.length);
    return piece;
  }

  async exactly(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const piece = await this.upTo(n - got);
      out.set(piece, got);
      got += piece.length;
    }
    return out;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }
}
