// The Prometheus endpoint through the real app and the real server: what a scrape shows after real requests, that no
// label carries an id, an email or a path, the token, the listener of its own, backups, the mail queue, the database.
import { afterEach, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { createApp } from "../src/app.ts";
import { updateBackupStatus } from "../src/backup/status.ts";
import { queueMail } from "../src/mail/templates.ts";
import { createMetrics, type Metrics } from "../src/ops/metrics.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, runCli, type TestInstallation, writeKeyFile, tempDir } from "./support/installation.ts";
import { freePort } from "./support/processes.ts";
import { startSmtp } from "./support/smtp.ts";
import { join } from "node:path";

const ORIGIN = "https://consult.example.org";
let inst: TestInstallation | undefined;
let metrics: Metrics | undefined;
let server: RunningServer | undefined;
afterEach(async () => {
  metrics?.close();
  metrics = undefined;
  if (server) await server.stop();
  server = undefined;
  if (inst) inst.close();
  inst = undefined;
});

/** An installation whose app counts into its own metrics, as startServer wires it. */
function instrumented(env: Record<string, string> = {}): { client: TestClient; metrics: Metrics; inst: TestInstallation } {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, ...env });
  metrics = createMetrics(inst);
  const app = createApp(inst, { metrics });
  return { client: new TestClient(app, ORIGIN), metrics, inst };
}

/** The samples of a scrape: `name{labels} value` lines as [name, labels, value]. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not an exposition line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe("metrics of the app", () => {
  test("requests are counted by route template and status; no id, email or path reaches a label", async () => {
    const { client, metrics } = instrumented();
    const admin = await setUpOrganisation(inst!);
    const ids = Array.from({ length: 40 }, () => crypto.randomUUID());
    for (const id of ids.slice(0, 20)) await client.get(`/admin/people/${id}?email=someone-${id}@example.org`);
    for (const id of ids.slice(20)) await client.get(`/no/such/page/${id}`);
    expect((await client.get("/livez")).status).toBe(200);
    // A real sign-in failure: a wrong password for a real account.
    const refused = await client.post("/signin", { email: admin.email, password: "not the password at all" });
    expect(refused.status).toBe(422);

    const text = await metrics.scrape();
    expect(valueOf(text, "kabinet_http_requests_total", { method: "GET", route: "/livez", status: "200" })).toBe(1);
    expect(valueOf(text, "kabinet_http_requests_total", { method: "GET", route: "unmatched", status: "404" })).toBe(20);
    expect(valueOf(text, "kabinet_http_requests_total", { method: "POST", route: "/signin", status: "422" })).toBe(1);
    // Not signed in: the people pages send to the sign-in page, under their route template.
    expect(valueOf(text, "kabinet_http_requests_total", { method: "GET", route: "/admin/people/:id" })).toBeGreaterThan(0);
    expect(valueOf(text, "kabinet_http_request_duration_seconds_count", { method: "GET", route: "/livez" })).toBe(1);
    expect(valueOf(text, "kabinet_signin_failures_total")).toBe(1);
    expect(valueOf(text, "kabinet_signin_throttled_total")).toBe(0);

    const labelValues = samples(text).flatMap((s) => Object.values(s.labels));
    for (const v of labelValues) {
      expect(v).not.toContain("@");
      expect(v).not.toContain("?");
      for (const id of ids) expect(v).not.toContain(id);
    }
    // Every route label is a template of the app or "unmatched", whatever URLs were asked for.
    const routes = new Set(samples(text).filter((s) => s.name === "kabinet_http_requests_total").map((s) => s.labels.route));
    expect([...routes].sort()).toEqual(["/admin/people/:id", "/livez", "/signin", "unmatched"]);
  });

  test("sign-in attempts refused by the throttle are counted apart from failures", async () => {
    const { client, metrics } = instrumented();
    const admin = await setUpOrganisation(inst!);
    for (let i = 0; i < 7; i++) await client.post("/signin", { email: admin.email, password: `wrong password ${i}` });
    const text = await metrics.scrape();
    expect(valueOf(text, "kabinet_signin_failures_total")).toBe(5); // 5 per account and address per 15 minutes
    expect(valueOf(text, "kabinet_signin_throttled_total")).toBe(2);
  });

  test("a queued mail shows in the queue depth; the anomaly rules read 0 without a source, else the source's counts", async () => {
    const { metrics } = instrumented();
    const admin = await setUpOrganisation(inst!);
    expect(valueOf(await metrics.scrape(), "kabinet_mail_queue_depth")).toBe(0);
    // No SMTP server configured: the mail waits in the queue.
    const now = inst!.clock.now();
    inst!.db.transaction((tx) => queueMail(tx, inst!.vault, "account.link", { dedupeKey: "metrics-test", recipient: admin.personId, data: {}, runAt: now }, now));
    const text = await metrics.scrape();
    expect(valueOf(text, "kabinet_mail_queue_depth")).toBe(1);
    expect(valueOf(text, "kabinet_mail_sent_total")).toBe(0);
    const rules = samples(text).filter((s) => s.name === "kabinet_anomalies_total");
    expect(rules.map((s) => s.labels.rule).sort()).toEqual(["break-glass", "bulk-record-reads", "export", "off-hours-admin", "signin-failures-account", "signin-failures-address"]);
    expect(rules.every((s) => s.value === 0)).toBe(true);

    const withSource = createMetrics(inst!, { anomalyCounts: () => ({ export: 3, "break-glass": 1 }) });
    try {
      const counted = await withSource.scrape();
      expect(valueOf(counted, "kabinet_anomalies_total", { rule: "export" })).toBe(3);
      expect(valueOf(counted, "kabinet_anomalies_total", { rule: "break-glass" })).toBe(1);
      expect(valueOf(counted, "kabinet_anomalies_total", { rule: "off-hours-admin" })).toBe(0);
    } finally {
      withSource.close();
    }
  });

  test("a mail the SMTP server accepts counts as sent; one it cannot reach counts as a failed attempt and stays queued", async () => {
    const smtp = await startSmtp();
    try {
      const { metrics } = instrumented({ KABINET_SMTP_URL: smtp.url });
      const admin = await setUpOrganisation(inst!);
      await addPerson(inst!, admin.personId, "specialist"); // the invitation, by mail
      expect(valueOf(await metrics.scrape(), "kabinet_mail_queue_depth")).toBeGreaterThanOrEqual(1);
      await jobWorker(inst!).runDue();
      const sent = await metrics.scrape();
      expect(valueOf(sent, "kabinet_mail_sent_total")).toBe(smtp.messages().length);
      expect(smtp.messages().length).toBeGreaterThanOrEqual(1);
      expect(valueOf(sent, "kabinet_mail_failures_total")).toBe(0);
      expect(valueOf(sent, "kabinet_mail_queue_depth")).toBe(0);
    } finally {
      await smtp.stop();
    }
    metrics?.close();
    inst?.close();
    const { metrics: unreachable } = instrumented({ KABINET_SMTP_URL: `smtp://127.0.0.1:${await freePort()}` });
    const admin = await setUpOrganisation(inst!);
    await addPerson(inst!, admin.personId, "specialist");
    const queued = valueOf(await unreachable.scrape(), "kabinet_mail_queue_depth")!;
    await jobWorker(inst!).runDue();
    const failed = await unreachable.scrape();
    expect(valueOf(failed, "kabinet_mail_failures_total")).toBe(queued);
    expect(valueOf(failed, "kabinet_mail_sent_total")).toBe(0);
    expect(valueOf(failed, "kabinet_mail_queue_depth")).toBe(queued); // waiting for its retry
  });

  test("backup status, schedule and restore drill are read from the status file at each scrape", async () => {
    const { metrics } = instrumented({ KABINET_BACKUP_EVERY_HOURS: "6" });
    let text = await metrics.scrape();
    expect(valueOf(text, "kabinet_backup_last_success_timestamp_seconds")).toBe(0);
    expect(valueOf(text, "kabinet_backup_schedule_seconds")).toBe(6 * 3600);
    expect(valueOf(text, "kabinet_restore_drill_ok")).toBe(0);
    updateBackupStatus(inst!.config.backup.dir, {
      lastBackup: { at: 1_790_000_000_000, file: "kabinet-1.backup", bytes: 123_456, ms: 900 },
      lastOffsite: { at: 1_790_000_100_000, file: "kabinet-1.backup", bytes: 123_456, ms: 1_500 },
      lastDrill: { at: 1_790_000_200_000, ok: true, file: "kabinet-1.backup", ms: 2_000, rows: { people: 3 }, problem: null },
    });
    text = await metrics.scrape();
    expect(valueOf(text, "kabinet_backup_last_success_timestamp_seconds")).toBe(1_790_000_000);
    expect(valueOf(text, "kabinet_backup_last_size_bytes")).toBe(123_456);
    expect(valueOf(text, "kabinet_backup_offsite_last_success_timestamp_seconds")).toBe(1_790_000_100);
    expect(valueOf(text, "kabinet_restore_drill_last_timestamp_seconds")).toBe(1_790_000_200);
    expect(valueOf(text, "kabinet_restore_drill_ok")).toBe(1);
    updateBackupStatus(inst!.config.backup.dir, { lastDrill: { at: 1_790_000_300_000, ok: false, file: "kabinet-1.backup", ms: 2_000, rows: {}, problem: "integrity check failed" } });
    expect(valueOf(await metrics.scrape(), "kabinet_restore_drill_ok")).toBe(0);
  });

  test("database, disk, process and build metrics tell the truth", async () => {
    const { metrics } = instrumented();
    const text = await metrics.scrape();
    const dbFile = Bun.file(join(inst!.config.dataDir, "kabinet.db"));
    expect(valueOf(text, "kabinet_db_size_bytes")).toBe(dbFile.size);
    expect(valueOf(text, "kabinet_db_wal_size_bytes")).toBe(Bun.file(join(inst!.config.dataDir, "kabinet.db-wal")).size);
    expect(valueOf(text, "kabinet_data_disk_size_bytes")).toBeGreaterThan(valueOf(text, "kabinet_data_disk_free_bytes")!);
    expect(valueOf(text, "kabinet_build_info", { version: (await import("../src/version.ts")).VERSION })).toBe(1);
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(await Bun.file("/proc/self/status").text())![1]) * 1024;
    expect(Math.abs(valueOf(text, "process_resident_memory_bytes")! - rss) / rss).toBeLessThan(0.2);
    const stat = (await Bun.file("/proc/self/stat").text()).split(") ")[1]!.split(" ");
    const bootTime = Number(/btime (\d+)/.exec(await Bun.file("/proc/stat").text())![1]);
    expect(Math.abs(valueOf(text, "process_start_time_seconds")! - (bootTime + Number(stat[19]) / 100))).toBeLessThanOrEqual(2);
    expect(valueOf(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(valueOf(text, "process_open_fds")).toBeGreaterThan(2);
    // Left out because they are not true under Bun (src/ops/metrics-process.ts).
    for (const name of ["nodejs_heap_space_size_used_bytes", "nodejs_gc_duration_seconds_count", "nodejs_active_handles_total", "process_heap_bytes"]) {
      expect(samples(text).some((s) => s.name === name)).toBe(false);
    }
  });

  test("the event-loop lag shows a stall since the previous scrape", async () => {
    const { metrics } = instrumented();
    await metrics.scrape();
    await Bun.sleep(50);
    const until = performance.now() + 250;
    while (performance.now() < until) {} // hold the loop as a slow synchronous task would
    await Bun.sleep(50);
    const lag = valueOf(await metrics.scrape(), "kabinet_event_loop_lag_seconds")!;
    expect(lag).toBeGreaterThan(0.2);
    expect(lag).toBeLessThan(1);
  });
});

describe("the metrics listener", () => {
  test("answers GET /metrics on its own address, with the token; the app's /metrics is a 404", async () => {
    const port = await freePort();
    inst = makeInstallation({ KABINET_LISTEN: "127.0.0.1:0", KABINET_METRICS_LISTEN: `127.0.0.1:${port}`, KABINET_METRICS_TOKEN: "a metrics token of some length" });
    await setUpOrganisation(inst);
    server = startServer(inst);
    expect(server.metricsUrl?.href).toBe(`http://127.0.0.1:${port}/metrics`);
    const url = server.metricsUrl!.href;
    expect((await fetch(`${server.url.origin}/livez`)).status).toBe(200);
    expect((await fetch(`${server.url.origin}/metrics`, { redirect: "manual" })).status).toBe(404); // not through the app (nor Caddy)

    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toContain("Bearer");
    expect((await fetch(url, { headers: { authorization: "Bearer a metrics token of some lengtH" } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: "Bearer a" } })).status).toBe(401);
    const auth = { authorization: "Bearer a metrics token of some length" };
    const ok = await fetch(url, { headers: auth });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const text = await ok.text();
    // The request to the app above is counted; the scrapes themselves are not requests of the app.
    expect(valueOf(text, "kabinet_http_requests_total", { route: "unmatched", status: "404" })).toBe(1);
    expect(valueOf(text, "kabinet_http_requests_total", { route: "/livez" })).toBe(1);
    // The server checkpointed the WAL when it started.
    expect(valueOf(text, "kabinet_db_last_checkpoint_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);

    expect((await fetch(url, { method: "POST", headers: auth })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${port}/`, { headers: auth })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics/x`, { headers: auth })).status).toBe(404);
  });

  test("without a token any GET /metrics is answered; `off` opens no listener", async () => {
    const port = await freePort();
    inst = makeInstallation({ KABINET_LISTEN: "127.0.0.1:0", KABINET_METRICS_LISTEN: `127.0.0.1:${port}` });
    server = startServer(inst);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    await server.stop();
    server = undefined;
    inst.close();
    inst = makeInstallation({ KABINET_LISTEN: "127.0.0.1:0", KABINET_METRICS_LISTEN: "off" });
    server = startServer(inst);
    expect(server.metricsUrl).toBeNull();
    expect(await fetch(`http://127.0.0.1:${port}/metrics`).then(() => "answered", () => "refused")).toBe("refused");
  });

  test("`serve` with the metrics address taken refuses with one line naming KABINET_METRICS_LISTEN", async () => {
    const taken = createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)));
    try {
      const dir = tempDir();
      const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir), KABINET_LISTEN: "127.0.0.1:0", KABINET_METRICS_LISTEN: `127.0.0.1:${port}` };
      const r = runCli(["serve"], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`kabinet: KABINET_METRICS_LISTEN 127.0.0.1:${port} is already in use by another process: stop it, or choose another port\n`);
    } finally {
      taken.close();
    }
  });
});
