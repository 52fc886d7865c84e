// The same consultation inside a network namespace that has only loopback (`unshare -n`): proof that a call needs
// nothing outside the appliance (no STUN, CDN, font or analytics), since nothing outside can be reached from there.
import { expect, test } from "bun:test";
import { join } from "node:path";

test("the two-browser consultation passes with no network but loopback", () => {
  if (process.getuid?.() !== 0) throw new Error("this test creates a network namespace and must run as root (as CI does)");
  const root = join(import.meta.dir, "../..");
  const r = Bun.spawnSync(
    ["unshare", "-n", "sh", "-c", `ip link set lo up && exec "${process.execPath}" test --timeout 120000 test/e2e/call.test.ts`],
    { cwd: root, stdout: "pipe", stderr: "pipe" },
  );
  const out = r.stdout.toString() + r.stderr.toString();
  if (r.exitCode !== 0) console.error(out.slice(-4000));
  expect(out).toMatch(/\b1 pass\b/);
  expect(out).toMatch(/\b0 fail\b/);
  expect(r.exitCode).toBe(0);
}, 180_000);
