// End-to-end encryption per video frame: SFrame protect + unprotect (web/call/e2ee/frames.ts) of one frame, for both
// AES-GCM backends (WebCrypto, @noble/ciphers), in Bun and in a real Chromium dedicated Worker, where the call client
// encrypts. The worker is bundled as the call client is (`bun build --target=browser --minify`) and served from a
// loopback Bun.serve; nothing leaves the machine. Runs interleave the backends (and alternate which goes first).
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../test/support/browser.ts";
import { type Backend, DEFAULT_BACKEND } from "../../web/call/e2ee/sframe.ts";
import { type FrameRun, measureFrames } from "./e2ee-frames.ts";
import { fmt, median } from "./stats.ts";

const BACKENDS: readonly Backend[] = ["webcrypto", "noble"];
const SIZES = [1100, 30_000] as const;
const RUNS = 5;
// At least 1 s per run; the frame floor only matters for the slowest case (noble, 30 KB: a few ms a frame).
const MIN_FRAMES = 100;
const MIN_MS = 1000;

type PerRun = Record<Backend, Record<number, number[]>>;
export interface E2eeFigures {
  runs: number;
  bun: PerRun;
  /** null when Chromium could not be started (the reason is in `chromiumError`). */
  chromium: PerRun | null;
  chromiumVersion: string;
  chromiumError: string;
  date: string;
  /** This shared machine's 1-minute load average when the runs started and ended. */
  load: [number, number];
}

const empty = (): PerRun => ({ webcrypto: { 1100: [], 30000: [] }, noble: { 1100: [], 30000: [] } });

async function inWorker(page: Page, run: FrameRun): Promise<number> {
  const r = await page.evaluate(
    (run) =>
      new Promise<{ ok: boolean; microsPerFrame?: number; error?: string }>((resolve) => {
        const w = (window as unknown as { bench: Worker }).bench;
        w.onmessage = (e) => resolve(e.data);
        w.postMessage(run);
      }),
    run,
  );
  if (!r.ok) throw new Error(`worker: ${r.error}`);
  return r.microsPerFrame!;
}

/** The worker, bundled for browsers, and a page that starts it, on a loopback port. */
function serveWorker(): { origin: string; stop: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "kabinet-e2ee-bench-"));
  const entry = join(import.meta.dir, "e2ee-worker.ts");
  const built = Bun.spawnSync([process.execPath, "build", entry, "--target=browser", "--format=esm", "--minify", "--outfile", join(dir, "worker.js")]);
  if (built.exitCode !== 0) throw new Error(`bundling the benchmark worker failed: ${built.stderr.toString()}`);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/worker.js") return new Response(Bun.file(join(dir, "worker.js")), { headers: { "content-type": "text/javascript" } });
      if (path === "/") return new Response("<!doctype html><title>e2ee bench</title>", { headers: { "content-type": "text/html" } });
      return new Response("not found", { status: 404 });
    },
  });
  return {
    origin: `http://127.0.0.1:${server.port}`,
    stop: () => {
      server.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function benchE2ee(): Promise<E2eeFigures> {
  const f: E2eeFigures = { runs: RUNS, bun: empty(), chromium: empty(), chromiumVersion: "", chromiumError: "", date: new Date().toISOString().slice(0, 10), load: [loadavg()[0]!, 0] };
  const served = serveWorker();
  let browser: Browser | null = null;
  let page: Page | null = null;
  try {
    try {
      browser = await launchChromium();
      f.chromiumVersion = browser.version();
      page = await browser.newPage();
      await page.goto(served.origin);
      await page.evaluate(() => {
        (window as unknown as { bench: Worker }).bench = new Worker("/worker.js", { type: "module" });
      });
    } catch (e) {
      f.chromium = null;
      f.chromiumError = String(e).split("\n")[0]!;
    }
    // warm-up: JIT, key import, the worker's first messages
    for (const backend of BACKENDS) {
      for (const bytes of SIZES) {
        const run = { backend, bytes, minFrames: 300, minMs: 200 };
        await measureFrames(run);
        if (page) await inWorker(page, run);
      }
    }
    for (let r = 0; r < RUNS; r++) {
      const order = r % 2 ? [...BACKENDS].reverse() : BACKENDS;
      for (const bytes of SIZES) {
        for (const backend of order) {
          const run = { backend, bytes, minFrames: MIN_FRAMES, minMs: MIN_MS };
          f.bun[backend][bytes]!.push((await measureFrames(run)).microsPerFrame);
          if (page && f.chromium) f.chromium[backend][bytes]!.push(await inWorker(page, run));
        }
      }
    }
  } finally {
    await browser?.close();
    served.stop();
  }
  f.load[1] = loadavg()[0]!;
  return f;
}

const NAMES: Record<Backend, string> = { webcrypto: "WebCrypto", noble: "@noble/ciphers" };
const cell = (xs: number[]) => `**${fmt(median(xs), 1)}** (${xs.map((x) => fmt(x, 1)).join(", ")})`;

/** Rows of the section's table (| measurement | figure | note |); the section's other measurements add their own. */
export function e2eeRows(f: E2eeFigures): string[] {
  const rows: string[] = [];
  for (const [where, per] of [["Chromium Worker", f.chromium], ["Bun", f.bun]] as const) {
    if (!per) continue;
    for (const bytes of SIZES) {
      for (const backend of BACKENDS) {
        const note = backend === DEFAULT_BACKEND && where === "Chromium Worker" ? "Kabinet's default" : "";
        rows.push(`| protect + unprotect, ${fmt(bytes, 0)}-byte VP8 frame, ${where}, ${NAMES[backend]} | ${cell(per[backend][bytes]!)} µs | ${note} |`);
      }
    }
  }
  return rows;
}

/** The share of time that encrypting and decrypting `fps` frames a second of `bytes` takes, at the default backend (%). */
const corePercent = (per: PerRun, bytes: number, fps: number) => (median(per[DEFAULT_BACKEND][bytes]!) * fps) / 1e4;

/** `moreRows` join the table; `moreParagraphs` (each ending in a newline) follow the section's own text. */
export function e2eeSection(f: E2eeFigures, moreRows: readonly string[] = [], moreParagraphs: readonly string[] = []): string {
  const browser = f.chromium ?? f.bun;
  const faster = (bytes: number) => (median(browser.webcrypto[bytes]!) <= median(browser.noble[bytes]!) ? "webcrypto" : "noble");
  const ratio = (bytes: number) => median(browser.noble[bytes]!) / median(browser.webcrypto[bytes]!);
  const agrees = SIZES.every((b) => faster(b) === DEFAULT_BACKEND);
  const where = f.chromium ? `the Chromium ${f.chromiumVersion} Worker` : "Bun (Chromium was not measured)";
  return `## End-to-end encryption

\`npm run bench -- e2ee\` (\`scripts/bench/e2ee.ts\`): SFrame (RFC 9605, AES_128_GCM_SHA256_128) protect + unprotect
of one VP8 frame after another (\`web/call/e2ee/frames.ts\`: a 1,100-byte delta frame with 3 clear bytes, a 30 KB
960×540 keyframe with 10), each awaited before the next as an encoded transform does, in Bun and in a dedicated
Worker of real Chromium${f.chromium ? ` ${f.chromiumVersion}` : ` (**not measured**: ${f.chromiumError})`} (the worker bundled like the call client, served on loopback).
Wall-clock microseconds per frame (WebCrypto's work may run on another thread of the browser, so this is the delay
a frame sees rather than the CPU it costs), median of ${f.runs} runs of at least ${fmt(MIN_MS / 1000, 0)} s each (each run in brackets), backends
interleaved; measured ${f.date}, load average of this shared 2-core machine (1 min) ${f.load.map((x) => fmt(x, 1)).join(" → ")}:

| measurement | figure | note |
|---|---:|---|
${[...e2eeRows(f), ...moreRows].join("\n")}

**Default backend: ${NAMES[DEFAULT_BACKEND]}** (\`DEFAULT_BACKEND\` in \`web/call/e2ee/sframe.ts\`). In ${where}
${faster(1100) === faster(30_000) ? `${NAMES[faster(1100)]} was the faster at both sizes` : `${NAMES[faster(1100)]} was the faster for 1,100-byte frames and ${NAMES[faster(30_000)]} for 30 KB frames`}
(noble ÷ WebCrypto: ${fmt(ratio(1100), 2)}× at 1,100 bytes, ${fmt(ratio(30_000), 2)}× at 30 KB)${agrees ? ", which is why it is the default" : `: **the default no longer matches this run**; see the reasons in \`sframe.ts\``}.
Both backends produce the same bytes (RFC 9605's vectors in \`web/call/e2ee/sframe.test.ts\`).

Budget: a 960×540 layer at 30 frames a second is 30 frames/s to encrypt at the sender and 30 to decrypt per
receiver, a frame every 33 ms. At the default backend in ${where}, protect + unprotect of 30 such frames a second
keeps the worker busy ${fmt(corePercent(browser, 1100, 30), 2)} % of the time if every frame were 1,100 bytes and ${fmt(corePercent(browser, 30_000, 30), 2)} % if every frame were a
30 KB keyframe; a publisher's three simulcast layers (≈ 90 frames/s, most of them small) stay under
${fmt(corePercent(browser, 30_000, 90), 1)} % even at the 30 KB figure, and a frame is delayed by ${fmt(median(browser[DEFAULT_BACKEND][1100]!) / 1000, 2)} ms (1,100 bytes) or ${fmt(median(browser[DEFAULT_BACKEND][30_000]!) / 1000, 2)} ms (30 KB) of its 33.
${moreParagraphs.map((p) => `\n${p}`).join("")}`;
}
