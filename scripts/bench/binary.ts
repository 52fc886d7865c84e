// The single binary: size, start-up until /readyz answers 200, and idle memory (RSS) after a few requests.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, stop, waitFor } from "../../test/support/processes.ts";
import { writeKeyFile } from "../../test/support/installation.ts";
import { assetUrl } from "../../src/http/assets.ts";
import { median } from "./stats.ts";

export interface BinaryFigures {
  sizeMB: number;
  firstStartMs: number;
  startMs: number;
  idleRssMB: number;
}

export async function benchBinary(runs = 7): Promise<BinaryFigures> {
  const dir = mkdtempSync(join(tmpdir(), "kabinet-bench-"));
  try {
    const bin = join(dir, "kabinet");
    const build = Bun.spawnSync([process.execPath, "run", "scripts/build.ts", "--outfile", bin]);
    if (build.exitCode !== 0) throw new Error(build.stderr.toString());
    const env = { PATH: process.env.PATH!, KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir), KABINET_LOG_LEVEL: "warn" };

    const startOnce = async (): Promise<{ ms: number; rss: number }> => {
      const port = await freePort();
      const t = performance.now();
      const proc = Bun.spawn([bin, "serve"], { env: { ...env, KABINET_LISTEN: `127.0.0.1:${port}`, KABINET_METRICS_LISTEN: "off" }, stdout: "ignore", stderr: "inherit" });
      await waitFor(`http://127.0.0.1:${port}/readyz`, {}, 10_000, proc, 2); // fine polling: the figure is not rounded up to the poll
      const ms = performance.now() - t;
      for (const path of ["/", "/readyz", assetUrl("htmx.min.js"), assetUrl("pico.min.css"), "/no-such-page"]) {
        await (await fetch(`http://127.0.0.1:${port}${path}`)).arrayBuffer();
      }
      await Bun.sleep(1000);
      const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
      const rss = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0) / 1024;
      await stop(proc);
      return { ms, rss };
    };

    const first = await startOnce(); // creates and migrates the database
    const warm: { ms: number; rss: number }[] = [];
    for (let i = 0; i < runs; i++) warm.push(await startOnce());
    return {
      sizeMB: Bun.file(bin).size / 1e6,
      firstStartMs: first.ms,
      startMs: median(warm.map((w) => w.ms)),
      idleRssMB: median(warm.map((w) => w.rss)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
