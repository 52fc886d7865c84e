// A real Prometheus (Debian's prometheus) scrapes a real `kabinet serve` through its bearer token, and its query API
// finds the target up and the HTTP requests by route template.
import { afterAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./support/installation.ts";
import { freePort, stop, waitFor } from "./support/processes.ts";

const ROOT = join(import.meta.dir, "..");
const TOKEN = "a token for the prometheus test";
const started: Subprocess[] = [];
afterAll(async () => {
  for (const proc of started) await stop(proc);
});

/** The result vector of an instant query, polled until it has a sample or the time is up. */
async function query(prometheus: string, promql: string, withinMs: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const until = performance.now() + withinMs;
  for (;;) {
    const r = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(body.status).toBe("success");
    if (body.data.result.length > 0 || performance.now() > until) return body.data.result;
    await Bun.sleep(250);
  }
}

test("a real Prometheus scrapes the running server with its token and finds requests by route template", async () => {
  const dir = tempDir("kabinet-prometheus-");
  const [appPort, metricsPort, promPort] = [await freePort(), await freePort(), await freePort()];
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const server = Bun.spawn([process.execPath, "run", "src/main.ts", "serve", "--dev"], {
    cwd: ROOT,
    env: {
      ...clean,
      KABINET_DATA_DIR: join(dir, "data"),
      KABINET_LISTEN: `127.0.0.1:${appPort}`,
      KABINET_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      KABINET_METRICS_TOKEN: TOKEN,
      KABINET_LOG_LEVEL: "warn",
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  started.push(server);
  const app = `http://127.0.0.1:${appPort}`;
  await waitFor(`${app}/livez`, {}, 15_000, server);
  for (let i = 0; i < 5; i++) expect((await fetch(`${app}/livez`)).status).toBe(200);

  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: kabinet",
      "    authorization:",
      "      type: Bearer",
      `      credentials: "${TOKEN}"`,
      "    static_configs:",
      `      - targets: ["127.0.0.1:${metricsPort}"]`,
      "",
    ].join("\n"),
  );
  const prometheus = Bun.spawn(
    ["prometheus", `--config.file=${config}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"],
    { stdout: "ignore", stderr: "inherit" }, // at --log.level=warn it says something only when it fails
  );
  started.push(prometheus);
  const api = `http://127.0.0.1:${promPort}`;
  await waitFor(`${api}/-/ready`, {}, 15_000, prometheus);

  const up = await query(api, 'up{job="kabinet"} == 1', 15_000);
  expect(up.map((r) => r.metric.instance)).toEqual([`127.0.0.1:${metricsPort}`]);
  const requests = await query(api, 'kabinet_http_requests_total{job="kabinet",route="/livez",status="200"}', 10_000);
  expect(requests).toHaveLength(1);
  expect(Number(requests[0]!.value[1])).toBeGreaterThanOrEqual(5);
  // The series a dashboard and the alert rules rely on are there, under their names.
  for (const name of ["kabinet_build_info", "kabinet_db_size_bytes", "kabinet_mail_queue_depth", "kabinet_sfu_peers", "process_resident_memory_bytes", "kabinet_event_loop_lag_seconds"]) {
    expect((await query(api, `${name}{job="kabinet"}`, 5_000)).length).toBeGreaterThan(0);
  }
}, 60_000);
