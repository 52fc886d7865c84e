// The waiting room's network check in real Chromium against the real media server: on plain loopback it finds the
// path clean and says so; inside a network namespace that loses a quarter of all packets it measures the loss and
// warns that video may freeze. (TCP, carrying the page and the offer, copes with the loss by retransmitting; the
// check's probes are never retransmitted, in either direction.)
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CheckSeen, checkInChromium } from "../support/network-check-browser.ts";

test("on plain loopback the check finds no loss and says the connection looks good", async () => {
  const seen = await checkInChromium({ screenshot: "network-check-good-phone" });
  console.log(`loopback: ${JSON.stringify(seen.first)}`);
  expect(seen.first).toMatchObject({ state: "done", verdict: "good" });
  if (seen.first.verdict !== "good") return;
  expect(seen.first.lossPercent).toBeLessThanOrEqual(1);
  expect(seen.first.rttMs).toBeLessThan(100);
  expect(seen.first.connectMs).toBeLessThan(8_000);
  expect(seen.verdictText).toBe("Your connection looks good.");
  expect(seen.figuresText).toBe(`Round trip ${seen.first.rttMs} ms, ${seen.first.lossPercent} % of test packets lost.`);
  expect(seen.again).toMatchObject({ state: "done", verdict: "good" });
}, 120_000);

test("where a quarter of all packets are lost, the check reports the loss and warns that video may freeze", () => {
  if (process.getuid?.() !== 0) throw new Error("this test creates a network namespace and must run as root (as CI does)");
  const root = join(import.meta.dir, "../..");
  const dir = mkdtempSync(join(tmpdir(), "kabinet-lossy-"));
  try {
    const r = Bun.spawnSync(["unshare", "-n", process.execPath, "test/support/lossy-namespace.ts", join(dir, "result.json"), "25"], { cwd: root, stdout: "pipe", stderr: "pipe", timeout: 150_000 });
    if (r.exitCode !== 0) throw new Error(`the lossy run failed: ${r.stderr.toString().slice(-3000)}`);
    const seen = JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as CheckSeen;
    console.log(`25 % loss: ${JSON.stringify(seen.first)}; again: ${JSON.stringify(seen.again)}`);
    for (const result of [seen.first, seen.again]) {
      expect(result).toMatchObject({ state: "done", verdict: "weak" });
      if (result.verdict !== "weak") return;
      expect(result.lossPercent).toBeGreaterThanOrEqual(10);
    }
    expect(seen.verdictText).toBe("Your connection is weak: video may freeze; audio will work.");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
