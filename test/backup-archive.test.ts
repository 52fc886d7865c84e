// The sealed backup format at its edges: entries whose stream ends exactly at, just before and just after a chunk
// boundary open to the same bytes; every cut at a chunk boundary, and a header with another key id, fails to open.
import { afterAll, expect, test } from "bun:test";
import { rmSync, truncateSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { BackupFileError, BackupWriter, newBackupHeader, openBackupEntries } from "../src/backup/archive.ts";
import { generateMasterKeyText, type MasterKey, parseMasterKey } from "../src/crypto/master-key.ts";
import { tempDir } from "./support/installation.ts";

const dir = tempDir("kabinet-archive-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;

function key(): MasterKey {
  const k = parseMasterKey(generateMasterKeyText());
  if (!k.ok) throw new Error(k.problem);
  return k.value;
}

async function write(path: string, k: MasterKey, entries: [string, Uint8Array][]): Promise<number[]> {
  const file = await open(path, "w");
  const writer = new BackupWriter(file, k, newBackupHeader(k, 1));
  for (const [name, bytes] of entries) await writer.add(name, bytes.length, [bytes.subarray(0, 1000), bytes.subarray(1000)]);
  await writer.finish();
  await file.close();
  // Where each chunk ends: the header, then length-prefixed chunks.
  const all = new Uint8Array(await Bun.file(path).arrayBuffer());
  const view = new DataView(all.buffer);
  const ends: number[] = [];
  for (let at = 12 + view.getUint32(8); at < all.length; ) {
    at += 4 + view.getUint32(at);
    ends.push(at);
  }
  return ends;
}

async function read(path: string, k: MasterKey): Promise<Map<string, Uint8Array>> {
  const file = await open(path, "r");
  const out = new Map<string, Uint8Array>();
  try {
    await openBackupEntries(file, k, {
      async begin(name) {
        const parts: Uint8Array[] = [];
        out.set(name, new Uint8Array());
        return async (piece) => {
          parts.push(piece.slice());
          out.set(name, new Uint8Array(Buffer.concat(parts)));
        };
      },
      async end() {},
    });
  } finally {
    await file.close();
  }
  return out;
}

test("entries ending at, before and after chunk boundaries round-trip; every cut at a chunk boundary fails", async () => {
  const k = key();
  // The stream: 2 + 10 (name) + 8 (size) + data + 2 (end marker); pick data sizes around 1 and 2 MiB of stream.
  for (const streamBytes of [MiB - 1, MiB, MiB + 1, 2 * MiB, 2 * MiB + 3]) {
    const data = new Uint8Array(streamBytes - 22).map((_, i) => i % 251);
    const path = join(dir, `edge-${streamBytes}.kbk`);
    const ends = await write(path, k, [["kabinet.db", data]]);
    const opened = await read(path, k);
    expect(Buffer.from(opened.get("kabinet.db")!).equals(Buffer.from(data))).toBe(true);
    for (const end of ends.slice(0, -1)) {
      const cut = join(dir, "cut.kbk");
      await Bun.write(cut, Bun.file(path));
      truncateSync(cut, end);
      await expect(read(cut, k)).rejects.toThrow(BackupFileError);
    }
  }
});

test("a backup opens only with the master key named in its header", async () => {
  const k = key();
  const path = join(dir, "keyed.kbk");
  await write(path, k, [["audit-head.json", new TextEncoder().encode("{}")]]);
  expect((await read(path, k)).get("audit-head.json")).toEqual(new TextEncoder().encode("{}"));
  const other = key();
  await expect(read(path, other)).rejects.toThrow(`it was sealed under master key ${k.id}, not ${other.id}`);
  // A header rewritten to name the other key does not help: the chunks' key derives from the real one.
  const bytes = Buffer.from(await Bun.file(path).arrayBuffer());
  const forged = join(dir, "forged.kbk");
  await Bun.write(forged, Buffer.from(bytes.toString("latin1").replace(k.id, other.id), "latin1"));
  await expect(read(forged, other)).rejects.toThrow("chunk 0 does not open");
});
