// Disaster recovery: the recovery point Litestream gives under a steady write load, i.e. how much acknowledged work a
// dead box loses. Each round runs the drill of docs/disaster-recovery.md (test/support/litestream.ts): the real
// binary and `litestream replicate` with config/litestream.yml to a directory replica, two clients writing over HTTP
// as fast as the server acknowledges, then the server AND Litestream SIGKILLed at the same instant (the box died, so
// Litestream gets no grace), the data dir deleted, `litestream restore` into a new one. The recovery point of a round
// is the last acknowledged write's time minus the newest acknowledged write found in the restored database.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir } from "../../test/support/installation.ts";
import { removeKabinetBinary } from "../../test/support/kabinet-process.ts";
import { runDrill } from "../../test/support/litestream.ts";
import { fmt, median } from "./stats.ts";

export interface LitestreamFigures {
  rounds: number;
  recoveryPointMs: number[];
  lostWrites: number[];
  writesPerSecond: number;
  restoreMs: number;
}

export async function benchLitestream(rounds = 7): Promise<LitestreamFigures> {
  const recoveryPointMs: number[] = [];
  const lostWrites: number[] = [];
  const rates: number[] = [];
  const restores: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const backupServer = tempDir("kabinet-bench-replica-");
    const dir = join(backupServer, "kabinet");
    // A random length of writing, so the kill falls anywhere between two of Litestream's syncs.
    const writeMs = 2_000 + Math.random() * 2_000;
    const drill = await runDrill({ url: `file://${dir}`, dir }, { writeMs, kill: "together" });
    try {
      recoveryPointMs.push(drill.recoveryPointMs);
      lostWrites.push(drill.lost.length);
      rates.push(drill.acked.length / ((drill.acked.at(-1)!.at - drill.acked[0]!.at) / 1000));
      restores.push(drill.restoreMs);
    } finally {
      for (const d of [backupServer, drill.org.dir, dirname(drill.restoredDataDir)]) rmSync(d, { recursive: true, force: true });
    }
  }
  return { rounds, recoveryPointMs, lostWrites, writesPerSecond: median(rates), restoreMs: median(restores) };
}

export function litestreamSection(f: LitestreamFigures): string {
  const worst = Math.max(...f.recoveryPointMs);
  const verdict = worst <= 1_000 ? "met" : "**missed**";
  return [
    "## Disaster recovery",
    "",
    `Litestream 0.3.13 with config/litestream.yml (monitor 250 ms, sync 500 ms) replicating to a directory; two clients writing`,
    `continuously over HTTP (${fmt(f.writesPerSecond, 0)} acknowledged writes/s, each a row and an audit entry); server and Litestream`,
    `SIGKILLed at the same instant; restored with \`litestream restore\`. ${f.rounds} rounds (\`scripts/bench/litestream.ts\`).`,
    "",
    "| | median | max | target |",
    "|---|---|---|---|",
    `| recovery point (last acknowledged write − newest restored) | ${fmt(median(f.recoveryPointMs), 0)} ms | ${fmt(worst, 0)} ms | ≤ 1 s: ${verdict} |`,
    `| acknowledged writes lost | ${fmt(median(f.lostWrites), 0)} | ${fmt(Math.max(...f.lostWrites), 0)} | |`,
    `| \`litestream restore\` time | ${fmt(f.restoreMs, 0)} ms | | |`,
    "",
    "When only the server dies and the disk survives, nothing acknowledged is lost (synchronous = FULL; test/kill-loop.test.ts).",
    "",
  ].join("\n");
}

/** The markdown section for docs/benchmarks.md (the lead wires it into scripts/bench/index.ts). */
export async function run(): Promise<string> {
  try {
    return litestreamSection(await benchLitestream());
  } finally {
    removeKabinetBinary();
  }
}

if (import.meta.main) console.log(await run());
