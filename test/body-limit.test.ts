// Request bodies: a stranger cannot make the server hold upload-sized bodies on routes that take only forms.
// Measured on a real `kabinet serve` process over HTTP, reading its resident memory from /proc.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { FORM_BYTES } from "../src/http/body-limit.ts";
import { setUpOrganisation } from "./support/accounts.ts";
import { makeInstallation, tempDir, writeKeyFile } from "./support/installation.ts";
import { freePort, stop, waitFor } from "./support/processes.ts";

let dir: string;
let proc: Subprocess;
let origin: string;
beforeAll(async () => {
  dir = tempDir();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir), KABINET_LISTEN: `127.0.0.1:${port}`, KABINET_PUBLIC_URL: origin, KABINET_LOG_LEVEL: "warn", KABINET_METRICS_LISTEN: "off" };
  proc = Bun.spawn([process.execPath, join(import.meta.dir, "../src/main.ts"), "serve"], { env: { ...clean, ...env }, stdout: "ignore", stderr: "inherit" });
  await waitFor(`${origin}/livez`, {}, 15_000, proc);
});
afterAll(async () => {
  await stop(proc);
  rmSync(dir, { recursive: true, force: true });
});

const rssMB = () => Number(readFileSync(`/proc/${proc.pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/)![1]) / 1024;

test("40 parallel 20 MB bodies to a form route are refused with 413, unread, and the server's memory stays flat", async () => {
  const body = new Uint8Array(20 * 1024 * 1024).fill(0x61); // "aaaa…": a well-formed form field
  const before = rssMB();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMB())), 10);
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      fetch(`${origin}/${i % 2 ? "signin" : "lang"}`, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", origin } })
        .then((r) => r.status)
        .catch(() => 413), // the server may close before the whole body is sent: the sender sees a reset
    ),
  );
  clearInterval(sampler);
  const ms = performance.now() - started;
  // Reading them would cost ~20 MB each (~800 MB, measured ~960 MB before the limit); unread they cost nothing.
  expect(peak - before).toBeLessThan(60);
  expect(statuses).toEqual(new Array(40).fill(413));
  expect(ms).toBeLessThan(10_000);
  // The server is fine afterwards.
  expect((await fetch(`${origin}/livez`)).status).toBe(200);
});

test("a body without Content-Length is counted as it streams, and refused past the limit", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (sent >= 4 * 1024 * 1024) return ctl.close();
      sent += chunk.length;
      ctl.enqueue(chunk);
    },
  });
  const r = await fetch(`${origin}/signin`, { method: "POST", body: stream, headers: { "content-type": "application/x-www-form-urlencoded", origin } });
  expect(r.status).toBe(413);
  expect(await r.text()).toContain("Request too large");
  expect(sent).toBeGreaterThan(FORM_BYTES);
});

test("a form of normal size passes; the file upload route is not held to the form limit", async () => {
  const inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org" });
  try {
    await setUpOrganisation(inst);
    const post = (path: string, bytes: number) =>
      inst.app.request(`https://consult.example.org${path}`, { method: "POST", body: new Uint8Array(bytes).fill(0x61), headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://consult.example.org" } });
    expect((await post("/lang", FORM_BYTES)).status).not.toBe(413);
    expect((await post("/lang", FORM_BYTES + 1)).status).toBe(413);
    // Anonymous, so refused, but for who it is (401), not for its size.
    expect((await post("/rooms/some-room/files", 5 * 1024 * 1024)).status).toBe(401);
  } finally {
    inst.close();
  }
});
