// The same consultation inside a network namespace that can reach nothing but loopback (`unshare -mn`), watched for
// anything that tries to leave: proof that a call needs nothing outside the appliance AND contacts nothing outside
// it (no STUN, CDN, font or analytics). The namespace has a default route to a link nobody answers on, so a packet
// for any other address is really sent and captured, and every DNS lookup is answered by a stub that records the
// name (test/support/offline-namespace.ts). werift, for one, would ask stun.l.google.com unless told otherwise.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("the two-browser consultation passes with no network, and not one DNS query or packet leaves", () => {
  if (process.getuid?.() !== 0) throw new Error("this test creates a network namespace and must run as root (as CI does)");
  const root = join(import.meta.dir, "../..");
  const dir = mkdtempSync(join(tmpdir(), "kabinet-offline-"));
  try {
    const r = Bun.spawnSync(["unshare", "-mn", process.execPath, "test/support/offline-namespace.ts", dir, "test/e2e/call.test.ts"], {
      cwd: root,
      stdout: "pipe",
      stderr: "pipe",
    });
    if (r.exitCode !== 0) throw new Error(`the namespace could not be set up: ${r.stderr.toString()}`);
    const result = JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as { exitCode: number; output: string; dnsQueries: string[]; egress: string[] };
    expect(result.dnsQueries).toEqual([]);
    expect(result.egress).toEqual([]);
    if (result.exitCode !== 0) console.error(result.output.slice(-4000));
    expect(result.output).toMatch(/\b1 pass\b/);
    expect(result.output).toMatch(/\b0 fail\b/);
    expect(result.exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
