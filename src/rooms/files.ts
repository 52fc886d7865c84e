// Files shared in a consultation room.
//
// Protects: documents clients and specialists exchange (results, scans, homework). Invariants: only types on the
// allow-list, checked against the file's first bytes, not only its name; at most the configured size, and the room's
// files together at most the configured room quota; at most UPLOAD_RATE.files uploads per person in
// UPLOAD_RATE.windowMs (so one account cannot fill the disk, whatever rooms it opens); bytes sealed
// on disk in chunks under the room's subject (an appointment's client, else the organisation), bound to the file id; the name sealed in the database; readable only
// by the room's owner and people it admitted; every upload and download audited.
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { recordAudit } from "../audit/audit.ts";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson } from "../people/people.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./rooms.store.ts";

export interface FileDeps {
  db: Queryable;
  vault: Vault;
  filesDir: string;
  maxBytes: number;
  /** What all files of one room may add up to. */
  roomQuotaBytes: number;
  clock: Clock;
}

/** Uploads per person, across rooms: plenty for a consultation's documents, too few to fill a disk. */
export const UPLOAD_RATE = { files: 20, windowMs: 10 * 60_000 } as const;

export interface SharedFile {
  id: string;
  name: string;
  mime: string;
  size: number;
  uploader: string;
  createdAt: number;
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
/** Extension → type and the bytes such a file starts with (null: text, checked for UTF-8 without NUL). */
const ALLOWED: Record<string, { mime: string; magic: number[] | null }> = {
  pdf: { mime: "application/pdf", magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  png: { mime: "image/png", magic: [0x89, 0x50, 0x4e, 0x47] },
  jpg: { mime: "image/jpeg", magic: [0xff, 0xd8, 0xff] },
  jpeg: { mime: "image/jpeg", magic: [0xff, 0xd8, 0xff] },
  txt: { mime: "text/plain; charset=utf-8", magic: null },
  docx: { mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", magic: ZIP },
  xlsx: { mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", magic: ZIP },
  odt: { mime: "application/vnd.oasis.opendocument.text", magic: ZIP },
};
export const ALLOWED_EXTENSIONS = Object.keys(ALLOWED);

type Refusal = { ok: false; problem: "empty" | "too-large" | "type" | "room-full" } | { ok: false; problem: "too-often"; retryAfterMs: number };
export type StoreFileResult = { ok: true; file: SharedFile } | Refusal;

export async function storeRoomFile(deps: FileDeps, roomId: string, uploaderId: string, name: string, bytes: Uint8Array): Promise<StoreFileResult> {
  if (bytes.length === 0) return { ok: false, problem: "empty" };
  if (bytes.length > deps.maxBytes) return { ok: false, problem: "too-large" };
  const ext = name.toLowerCase().split(".").pop() ?? "";
  const type = ALLOWED[ext];
  if (!type || !matches(type.magic, bytes)) return { ok: false, problem: "type" };
  const early = limitRefusal(deps, roomId, uploaderId, bytes.length);
  if (early) return early;
  const id = randomBytes(12).toString("base64url");
  const cleanName = name.replace(/[\u0000-\u001f\u007f/\\]/g, "_").slice(-200);
  mkdirSync(deps.filesDir, { recursive: true, mode: 0o700 });
  const path = join(deps.filesDir, id);
  // Sealed under the room's subject (an appointment's client, else the organisation), like the room's chat.
  const subject = store.roomSubject(deps.db, roomId);
  // Written before the row: a crash leaves an orphan sealed file, never a row without its bytes.
  await Bun.write(path, deps.vault.sealFile(subject, id, bytes));
  const createdAt = deps.clock.now();
  // Checked again with the row's insert: two uploads at once must not both fit into the last free space.
  const refused = deps.db.transaction(
    (tx) => {
      const late = limitRefusal({ ...deps, db: tx }, roomId, uploaderId, bytes.length);
      if (late) return late;
      store.insertFileRow(tx, {
        id,
        roomId,
        uploaderId,
        name: Buffer.from(deps.vault.sealField(subject, "room_files", "name", id, cleanName)),
        mime: type.mime,
        size: bytes.length,
        createdAt,
      });
      recordAudit(tx, deps.vault, { actor: uploaderId, action: "file.upload", target: roomId, details: { file: id, size: bytes.length, type: ext } });
      return null;
    },
    { behavior: "immediate" },
  );
  if (refused) {
    rmSync(path, { force: true });
    return refused;
  }
  return { ok: true, file: { id, name: cleanName, mime: type.mime, size: bytes.length, uploader: getPerson(deps, uploaderId)?.name ?? "", createdAt } };
}

export function listRoomFiles(deps: Pick<FileDeps, "db" | "vault">, roomId: string): SharedFile[] {
  const subject = store.roomSubject(deps.db, roomId);
  if (deps.vault.isShredded(subject)) return []; // the room's client is erased: none of it can be read
  return store.listFileRows(deps.db, roomId).map((r) => ({
    id: r.id,
    name: deps.vault.openField(subject, "room_files", "name", r.id, r.name),
    mime: r.mime,
    size: r.size,
    uploader: getPerson(deps, r.uploaderId)?.name ?? "",
    createdAt: r.createdAt,
  }));
}

/** `audit.details` joins the `file.download` entry (the API names the token that read). */
export async function readRoomFile(deps: FileDeps, roomId: string, fileId: string, readerId: string, audit: { details?: Record<string, string> } = {}): Promise<{ file: SharedFile; bytes: Uint8Array } | null> {
  const row = store.getFileRow(deps.db, roomId, fileId);
  const subject = store.roomSubject(deps.db, roomId);
  if (!row || deps.vault.isShredded(subject)) return null;
  // The row without its bytes (a partial restore, a purge cut short): not found, as for a missing row, never a 500.
  const onDisk = Bun.file(join(deps.filesDir, row.id));
  if (!(await onDisk.exists())) return null;
  const bytes = deps.vault.openFile(subject, row.id, new Uint8Array(await onDisk.arrayBuffer()));
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: readerId, action: "file.download", target: roomId, details: { ...audit.details, file: row.id }, at: deps.clock.now() }), {
    behavior: "immediate",
  });
  const name = deps.vault.openField(subject, "room_files", "name", row.id, row.name);
  return { file: { id: row.id, name, mime: row.mime, size: row.size, uploader: "", createdAt: row.createdAt }, bytes };
}

/** What the call client lists: no type or dates needed there. */
export function fileSummary(f: SharedFile): { id: string; name: string; size: number; uploader: string } {
  return { id: f.id, name: f.name, size: f.size, uploader: f.uploader };
}

/** Why one more file of this size may not be stored now, or null. */
function limitRefusal(deps: Pick<FileDeps, "db" | "roomQuotaBytes" | "clock">, roomId: string, uploaderId: string, size: number): Refusal | null {
  const now = deps.clock.now();
  const recent = store.uploadTimesSince(deps.db, uploaderId, now - UPLOAD_RATE.windowMs);
  if (recent.length >= UPLOAD_RATE.files) return { ok: false, problem: "too-often", retryAfterMs: recent[recent.length - UPLOAD_RATE.files]! + UPLOAD_RATE.windowMs - now };
  if (store.roomFilesBytes(deps.db, roomId) + size > deps.roomQuotaBytes) return { ok: false, problem: "room-full" };
  return null;
}

function matches(magic: number[] | null, bytes: Uint8Array): boolean {
  if (magic) return magic.every((b, i) => bytes[i] === b);
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
