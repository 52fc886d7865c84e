// The audit log's signed head, recorded outside the database (DESIGN.md decision 5).
//
// Protects: the audit log against what its hash chain alone cannot show: removing the newest entries, removing all
// of them, and dropping the append-only triggers. Invariants: a head is the entry count and the last entry's MAC,
// signed with the audit key, so nobody without the master key can forge one; the appliance records a head only after
// verifying every entry up to it, in `audit-head.json` beside the database (data dir, not in it); every verification
// checks that the database still holds the recorded head and that both triggers are as migration 0001 wrote them.
// The head is printed by `kabinet audit verify`, shown on the audit page and written to the log, so admins can
// compare it with one they kept. The page verifies incrementally: only entries after the last head it verified.
// Known limit: whoever can write the data dir can put back an older head file together with a log cut to match it;
// a head written down or kept in shipped logs shows that. After restoring a backup on purpose, delete the file: the
// next start records the restored log's head (and says so in the log).
import { createHmac, timingSafeEqual } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { Vault } from "../vault/vault.ts";
import { CHAIN_START, type ChainPoint, pointHolds, walkAuditChain } from "./audit.ts";
import * as store from "./audit.store.ts";

export type AuditVerification =
  | { ok: true; count: number; head: string; recordedAt: number | null }
  | { ok: false; count: number; brokenId: number | null; reason: string };

export interface AuditHeadDeps {
  db: Queryable;
  vault: Vault;
  /** The file holding the last recorded head. */
  headFile: string;
}

export function auditHeadFile(dataDir: string): string {
  return join(dataDir, "audit-head.json");
}

/** The head as people compare it: entry count and the first 64 bits of its signature, e.g. `1042:9c1e0f3a5b7d2e48`. */
export function formatHead(vault: Vault, point: ChainPoint): string {
  return `${point.count}:${Buffer.from(signHead(vault, point)).toString("hex").slice(0, 16)}`;
}

function signHead(vault: Vault, point: ChainPoint): Uint8Array {
  return new Uint8Array(createHmac("sha256", vault.auditKey()).update(`kabinet/audit-head/${point.count}/`).update(point.lastMac).digest());
}

type RecordedHead = { kind: "none" } | { kind: "forged" } | { kind: "ok"; point: ChainPoint; at: number };

function readRecordedHead(deps: AuditHeadDeps): RecordedHead {
  let text: string;
  try {
    text = readFileSync(deps.headFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "none" };
    throw err;
  }
  try {
    const raw = JSON.parse(text) as { count: unknown; lastMac: unknown; signature: unknown; at: unknown };
    if (!Number.isSafeInteger(raw.count) || typeof raw.lastMac !== "string" || typeof raw.signature !== "string") return { kind: "forged" };
    const point = { count: raw.count as number, lastMac: new Uint8Array(Buffer.from(raw.lastMac, "hex")) };
    const signature = Buffer.from(raw.signature, "hex");
    const expected = signHead(deps.vault, point);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return { kind: "forged" };
    return { kind: "ok", point, at: typeof raw.at === "number" ? raw.at : 0 };
  } catch {
    return { kind: "forged" };
  }
}

/** Replaces the file atomically (write, fsync, rename), so a crash leaves the old head or the new one. */
function writeRecordedHead(deps: AuditHeadDeps, point: ChainPoint, at: number): void {
  const body = JSON.stringify({
    count: point.count,
    lastMac: Buffer.from(point.lastMac).toString("hex"),
    signature: Buffer.from(signHead(deps.vault, point)).toString("hex"),
    at,
  });
  const temporary = `${deps.headFile}.${process.pid}.tmp`; // the server and a command may record at once
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, `${body}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, deps.headFile);
}

function triggerProblem(db: Queryable, count: number): AuditVerification | null {
  const broken = store.listBrokenAppendOnlyTriggers(db);
  if (broken.length === 0) return null;
  return {
    ok: false,
    count,
    brokenId: null,
    reason:
      broken.length === 1
        ? `the append-only trigger ${broken[0]} is missing or altered, so entries could be changed or removed; a restart re-creates it: find out who removed it`
        : `the append-only triggers ${broken.join(" and ")} are missing or altered, so entries could be changed or removed; a restart re-creates them: find out who removed them`,
  };
}

const NO_HEAD =
  "no recorded head (audit-head.json in the data dir is missing): it was deleted, or this installation has not started since the upgrade that added it (start it once)";
const FORGED_HEAD = "the recorded head (audit-head.json in the data dir) does not carry a valid signature: it was altered";

function compareWithRecorded(recorded: RecordedHead, head: ChainPoint, db: Queryable): AuditVerification | null {
  if (recorded.kind === "none") return { ok: false, count: head.count, brokenId: null, reason: NO_HEAD };
  if (recorded.kind === "forged") return { ok: false, count: head.count, brokenId: null, reason: FORGED_HEAD };
  const at = new Date(recorded.at).toISOString();
  if (head.count < recorded.point.count) {
    return {
      ok: false,
      count: head.count,
      brokenId: null,
      reason: `the log holds ${head.count} entries but ${recorded.point.count} were recorded at ${at}: the newest entries were removed`,
    };
  }
  if (!pointHolds(db, recorded.point)) {
    return { ok: false, count: recorded.point.count - 1, brokenId: recorded.point.count, reason: `it differs from the head recorded at ${at}: the log was rewritten` };
  }
  return null;
}

/** `kabinet audit verify`: every entry from the first, the head recorded outside the database, both triggers. */
export function verifyAuditLog(deps: AuditHeadDeps): AuditVerification {
  const recorded = readRecordedHead(deps);
  const walk = walkAuditChain(deps.db, deps.vault, CHAIN_START);
  if (!walk.ok) return walk;
  const problem = compareWithRecorded(recorded, walk.head, deps.db) ?? triggerProblem(deps.db, walk.head.count);
  if (problem) return problem;
  return { ok: true, count: walk.head.count, head: formatHead(deps.vault, walk.head), recordedAt: recorded.kind === "ok" ? recorded.at : null };
}

/**
 * Remembers the last head this process verified (the whole chain at its first check), so the audit page and the
 * periodic recorder check only the entries written since.
 */
export class AuditHeadTracker {
  private verified: ChainPoint;
  private recorded: RecordedHead;

  constructor(private readonly deps: AuditHeadDeps) {
    this.recorded = readRecordedHead(deps);
    // The first check walks the whole chain (an old entry edited while no process watched is found once per start);
    // later checks begin where the last one ended.
    this.verified = CHAIN_START;
  }

  get hasRecordedHead(): boolean {
    return this.recorded.kind !== "none";
  }

  /** The entries after the last verified head, the recorded head, and the triggers. */
  check(): AuditVerification {
    const walk = walkAuditChain(this.deps.db, this.deps.vault, this.verified);
    if (!walk.ok) return walk;
    const recorded = this.recorded.kind === "none" ? null : compareWithRecorded(this.recorded, walk.head, this.deps.db);
    const problem = recorded ?? triggerProblem(this.deps.db, walk.head.count);
    if (problem) return problem;
    this.verified = walk.head;
    return {
      ok: true,
      count: walk.head.count,
      head: formatHead(this.deps.vault, walk.head),
      recordedAt: this.recorded.kind === "ok" ? this.recorded.at : null,
    };
  }

  /** Checks, then records the verified head in the file if it moved. Returns the check's result. */
  checkAndRecord(now: number): AuditVerification {
    const result = this.check();
    if (!result.ok) return result;
    const current = this.recorded;
    if (current.kind === "ok" && current.point.count === this.verified.count) return result;
    writeRecordedHead(this.deps, this.verified, now);
    this.recorded = { kind: "ok", point: this.verified, at: now };
    return { ...result, recordedAt: now };
  }
}

const HEAD_LOG_EVERY_MS = 5 * 60_000;

export interface AuditHeadRecorder {
  /** Records and logs the final head; call before the database closes. */
  stop(): void;
}

/** Every `intervalMs`: check new entries, record the head when it moved; log it (at most every 5 minutes) and any break. */
export function startAuditHeadRecorder(tracker: AuditHeadTracker, log: Logger, clock: Clock, intervalMs = 10_000): AuditHeadRecorder {
  let lastLogged = "";
  let lastLoggedAt = 0;
  let lastProblem = "";
  const tick = (force: "always" | "when-due") => {
    try {
      const result = tracker.checkAndRecord(clock.now());
      if (!result.ok) {
        if (result.reason !== lastProblem) log.error("audit log verification failed", { brokenId: result.brokenId, reason: result.reason });
        lastProblem = result.reason;
        return;
      }
      lastProblem = "";
      const due = force === "always" || clock.now() - lastLoggedAt >= HEAD_LOG_EVERY_MS;
      if (result.head !== lastLogged && due) {
        log.info("audit head", { entries: result.count, head: result.head });
        lastLogged = result.head;
        lastLoggedAt = clock.now();
      }
    } catch (err) {
      log.error("recording the audit head failed", { error: (err as Error).name, code: (err as NodeJS.ErrnoException).code ?? null });
    }
  };
  tick("always");
  const timer = setInterval(() => tick("when-due"), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      tick("always");
    },
  };
}
