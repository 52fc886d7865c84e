// A client's data export and erasure (issue 14): a client with 200 appointments, 1,000 chat messages and 50 files
// of 1 MiB (random bytes behind a PDF header, like scans: incompressible), generated once through the real services.
// Each run works on a fresh copy of that data dir in a child process, so its peak memory is the export's alone:
// the whole ZIP read from the stream the route returns (and thrown away), then eraseClient on the same client.
// Peak memory is the child's RSS high-water mark (getrusage maxrss) against its RSS just before the export.
// Usage alone: bun run scripts/bench/export.ts [--runs N]
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SettableClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { randomBytes } from "../../src/crypto/aead.ts";
import { generateMasterKeyText } from "../../src/crypto/master-key.ts";
import { openInstallation } from "../../src/installation.ts";
import { createLogger } from "../../src/log.ts";
import { createPerson } from "../../src/people/people.ts";
import { eraseClient } from "../../src/privacy/erasure.ts";
import { exportClientData } from "../../src/privacy/export.ts";
import { postChatMessage } from "../../src/rooms/chat.ts";
import { storeRoomFile } from "../../src/rooms/files.ts";
import { createRoom, recordAdmission } from "../../src/rooms/rooms.ts";
import { fmt, median } from "./stats.ts";

const APPOINTMENTS = 200;
const MESSAGES = 1000;
const FILES = 50;
const FILE_BYTES = 1 << 20;
const ROOMS = 20; // the appointments held online, each with its chat and some of the files
const TARGET_EXPORT_S = 2;
const TARGET_ERASE_MS = 100;

interface ChildResult {
  exportMs: number;
  zipBytes: number;
  rssBeforeMb: number;
  peakRssMb: number;
  /** The most the JS heap and array buffers held during a second export, each sample taken after a full collection. */
  liveMb: number;
  eraseMs: number;
  eraseWithCheckpointMs: number;
}

function envFor(dir: string, keyFile: string): Record<string, string> {
  return { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: keyFile, KABINET_METRICS_LISTEN: "off" };
}

/** Generates the client and their data; returns the client's id. */
async function generate(dir: string, keyFile: string): Promise<{ clientId: string; adminId: string }> {
  const clock = new SettableClock();
  const inst = openInstallation(loadConfig(envFor(dir, keyFile)), createLogger("error", () => {}), { clock });
  try {
    const admin = createPerson(inst, { role: "admin", email: "admin@example.org", name: "Admin" }, "cli")!;
    const specialist = createPerson(inst, { role: "specialist", email: "vera@example.org", name: "Vera Specialist" }, admin.id)!;
    const client = createPerson(inst, { role: "client", email: "anna@example.org", name: "Anna Client", phone: "+7 900 000 00 00" }, admin.id)!;
    const now = clock.now();
    inst.db.$client.run("INSERT INTO services (id, name_en, name_ru, duration_minutes, mode, created_at) VALUES ('svc', 'Counselling', 'Консультация', 50, 'online', ?)", [now]);
    const rooms: string[] = [];
    for (let r = 0; r < ROOMS; r++) {
      const { room } = createRoom(inst, specialist.id, now, { subject: client.id, guests: [client.id] });
      recordAdmission(inst, room.id, client.id);
      rooms.push(room.id);
    }
    const insert = inst.db.$client.prepare(
      "INSERT INTO appointments (id, service_id, specialist_id, client_id, start_at, end_at, block_start, block_end, status, room_id, created_by, created_at) VALUES (?, 'svc', ?, ?, ?, ?, ?, ?, 'completed', ?, ?, ?)",
    );
    inst.db.$client.transaction(() => {
      for (let a = 0; a < APPOINTMENTS; a++) {
        const start = now - (APPOINTMENTS - a) * 7 * 86_400_000;
        insert.run(`appt-${a}`, specialist.id, client.id, start, start + 50 * 60_000, start, start + 50 * 60_000, a < ROOMS ? rooms[a]! : null, client.id, start - 86_400_000);
      }
    })();
    for (let m = 0; m < MESSAGES; m++) {
      const author = m % 2 === 0 ? client.id : specialist.id;
      postChatMessage(inst, rooms[m % ROOMS]!, author, `Message ${m}: how did the week go? Sleep, appetite and the exercises we discussed last time.`);
    }
    const filesDir = join(inst.config.dataDir, "files");
    for (let f = 0; f < FILES; f++) {
      if (f > 0 && f % 15 === 0) clock.advance(11 * 60_000); // the per-person upload rate
      const bytes = randomBytes(FILE_BYTES);
      bytes.set([0x25, 0x50, 0x44, 0x46, 0x2d]); // %PDF-
      const stored = await storeRoomFile({ ...inst, filesDir, maxBytes: 2 * FILE_BYTES, roomQuotaBytes: 64 * FILE_BYTES }, rooms[f % ROOMS]!, f % 2 === 0 ? client.id : specialist.id, `scan ${f}.pdf`, bytes);
      if (!stored.ok) throw new Error(`upload ${f}: ${stored.problem}`);
    }
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    return { clientId: client.id, adminId: admin.id };
  } finally {
    inst.db.$client.close();
  }
}

/** In the child: export (timed), export again (memory probed), then erase, on this data dir. */
async function child(dir: string, keyFile: string, clientId: string, adminId: string): Promise<ChildResult> {
  const inst = openInstallation(loadConfig(envFor(dir, keyFile)), createLogger("error", () => {}));
  const deps = { db: inst.db, vault: inst.vault, filesDir: join(inst.config.dataDir, "files") };
  const readAll = async (onPiece: (n: number) => void): Promise<number> => {
    const stream = exportClientData(deps, clientId, { locale: "en", timeZone: "Europe/Moscow", orgName: "Bench Clinic", now: Date.now() });
    if (!stream) throw new Error("no such client");
    let bytes = 0;
    let pieces = 0;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return bytes;
      bytes += value.length;
      onPiece(++pieces);
    }
  };
  Bun.gc(true);
  const rssBefore = process.memoryUsage.rss();
  const started = performance.now();
  const zipBytes = await readAll(() => {});
  const exportMs = performance.now() - started;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  // RSS also holds garbage the collector has not reached yet; what the export keeps alive is measured apart.
  let live = 0;
  await readAll((n) => {
    if (n % 256 !== 0) return;
    Bun.gc(true);
    const u = process.memoryUsage();
    live = Math.max(live, u.heapUsed + u.arrayBuffers);
  });
  const eraseStarted = performance.now();
  const erased = eraseClient({ ...inst, dataDir: inst.config.dataDir }, clientId, adminId);
  const eraseWithCheckpointMs = performance.now() - eraseStarted;
  if (!erased.ok) throw new Error(erased.reason);
  inst.db.$client.close();
  return { exportMs, zipBytes, rssBeforeMb: rssBefore / 2 ** 20, peakRssMb: peakRss / 2 ** 20, liveMb: live / 2 ** 20, eraseMs: erased.ms, eraseWithCheckpointMs };
}

export async function run(options: { runs?: number } = {}): Promise<string> {
  const runs = options.runs ?? 5;
  const dir = mkdtempSync(join(tmpdir(), "kabinet-bench-export-"));
  try {
    const keyFile = join(dir, "master.key");
    writeFileSync(keyFile, `${generateMasterKeyText()}\n`, { mode: 0o600 });
    const genStarted = performance.now();
    const { clientId, adminId } = await generate(join(dir, "source"), keyFile);
    const genS = (performance.now() - genStarted) / 1000;
    const results: ChildResult[] = [];
    for (let r = 0; r < runs; r++) {
      const copy = join(dir, `run-${r}`);
      cpSync(join(dir, "source"), copy, { recursive: true });
      const p = Bun.spawnSync([process.execPath, import.meta.path, "--child", copy, keyFile, clientId, adminId], { stdout: "pipe", stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`export run ${r} failed: ${p.stderr.toString()}`);
      results.push(JSON.parse(p.stdout.toString()) as ChildResult);
      rmSync(copy, { recursive: true, force: true });
    }
    const m = (f: (r: ChildResult) => number) => median(results.map(f));
    const list = (f: (r: ChildResult) => number, digits = 0) => results.map((r) => fmt(f(r), digits)).join(", ");
    const exportS = m((r) => r.exportMs) / 1000;
    const eraseMs = m((r) => r.eraseMs);
    const growth = m((r) => r.peakRssMb - r.rssBeforeMb);
    const filesMb = (FILES * FILE_BYTES) / 2 ** 20;
    return [
      "## Data export and erasure",
      "",
      `A client with ${APPOINTMENTS} appointments, ${MESSAGES.toLocaleString("en-US")} chat messages (in ${ROOMS} rooms) and ${FILES} files of 1 MiB (${fmt(filesMb, 0)} MiB, incompressible), ` +
        `generated through the real services in ${fmt(genS)} s; each run in a fresh process on a fresh copy of the data dir; medians of ${runs} runs. ` +
        "Export: the whole ZIP read from the stream the download route returns (README, summary, data.json, four CSV files, the 50 files decrypted chunk by chunk). " +
        "Memory: the process's RSS high-water mark (getrusage) against its RSS just before the export, which also counts garbage the collector had not reached yet; " +
        "and what the export keeps alive, from a second export in the same process: the JS heap and array buffers after a full collection every 256 pieces of the stream. " +
        "An archive built in memory would hold at least the files' 50 MiB.",
      "",
      "| | median | runs |",
      "|---|---|---|",
      `| export time (target ≤ ${TARGET_EXPORT_S} s) | ${fmt(exportS, 2)} s: ${exportS <= TARGET_EXPORT_S ? "met" : "**missed**"} | ${list((r) => r.exportMs / 1000, 2)} |`,
      `| ZIP size | ${fmt(m((r) => r.zipBytes) / 2 ** 20, 1)} MiB | |`,
      `| RSS before the export | ${fmt(m((r) => r.rssBeforeMb), 0)} MiB | ${list((r) => r.rssBeforeMb)} |`,
      `| peak RSS during the export | ${fmt(m((r) => r.peakRssMb), 0)} MiB (+${fmt(growth, 0)} MiB, garbage included) | ${list((r) => r.peakRssMb)} |`,
      `| held alive during the export (heap and buffers, after collection) | ${fmt(m((r) => r.liveMb), 1)} MiB (${fmt((m((r) => r.liveMb) / filesMb) * 100, 0)} % of the files' size): streamed | ${list((r) => r.liveMb, 1)} |`,
      `| erasure time, eraseClient's transaction (target ≤ ${TARGET_ERASE_MS} ms) | ${fmt(eraseMs)} ms: ${eraseMs <= TARGET_ERASE_MS ? "met" : "**missed**"} | ${list((r) => r.eraseMs, 1)} |`,
      `| erasure with the WAL checkpoint and truncation after it | ${fmt(m((r) => r.eraseWithCheckpointMs))} ms | ${list((r) => r.eraseWithCheckpointMs, 1)} |`,
      "",
    ].join("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ options: { runs: { type: "string" }, child: { type: "boolean" } }, allowPositionals: true, strict: true });
  if (values.child) {
    const [dir, keyFile, clientId, adminId] = positionals as [string, string, string, string];
    console.log(JSON.stringify(await child(dir, keyFile, clientId, adminId)));
  } else {
    console.log(await run({ runs: values.runs ? Number(values.runs) : undefined }));
  }
}
