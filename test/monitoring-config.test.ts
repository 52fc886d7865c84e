// The `monitoring` compose profile's configuration, checked with the real programs its containers run: Prometheus
// (promtool on the configuration, rules and the rules' unit tests; a real Prometheus scraping a running Kabinet
// through the token file and evaluating every rule and dashboard query), Alertmanager (amtool, and a real
// Alertmanager mailing an alert through an SMTP server that insists on STARTTLS), the blackbox exporter (a real probe
// reading a certificate's expiry), Grafana's dashboard (every panel on the provisioned data source, every metric it
// or an alert names exported by the running Kabinet or a real Litestream; Litestream's job without a target where its
// name does not resolve) and the compose profile itself. Configurations are rendered by the containers' own start-up
// script under busybox, as in the images; only their container paths are moved.
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import type { Subprocess } from "bun";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { tempDir, writeKeyFile } from "./support/installation.ts";
import { litestreamBinary } from "./support/kabinet-process.ts";
import { LITESTREAM_CONFIG, litestreamEnv } from "./support/litestream.ts";
import { freePort, stop, waitFor, waitForPort } from "./support/processes.ts";

const ROOT = join(import.meta.dir, "..");
const MON = join(ROOT, "config/monitoring");
const work = tempDir("kabinet-monitoring-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The images are busybox-based: the start-up script runs with busybox's sh and awk, nothing else on PATH.
const BUSYBOX_BIN = join(work, "busybox-bin");
mkdirSync(BUSYBOX_BIN);
for (const applet of ["sh", "awk", "basename", "cat", "true"]) symlinkSync("/bin/busybox", join(BUSYBOX_BIN, applet));

/** Runs render-config.sh as the container does: TEMPLATE → OUTPUT with `env`, then `true`. */
function render(template: string, output: string, env: Record<string, string>): { code: number; stderr: string; text: string } {
  const r = Bun.spawnSync([join(BUSYBOX_BIN, "sh"), join(MON, "render-config.sh"), template, output, "--", "true"], { env: { PATH: BUSYBOX_BIN, ...env }, stderr: "pipe" });
  const code = r.exitCode ?? -1;
  return { code, stderr: r.stderr.toString(), text: code === 0 ? readFileSync(output, "utf8") : "" };
}

function run(cmd: string[], cwd = work): { code: number; out: string; stdout: string } {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString(), stdout: r.stdout.toString() };
}

const ALERT_ENV = { KABINET_ALERT_SMTP_HOST: "mail.example.org:587", KABINET_ALERT_MAIL_FROM: "Kabinet alerts <alerts@example.org>", KABINET_ALERT_MAIL_TO: "it@example.org", KABINET_ALERT_SMTP_USER: "alerts@example.org" };

type Rule = { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> };
const rules = (Bun.YAML.parse(readFileSync(join(MON, "alerts.yml"), "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

test("Prometheus's configuration, rendered for the domain, passes promtool with its rules and scrapes what the profile runs", () => {
  const dir = join(work, "prometheus");
  mkdirSync(dir);
  const r = render(join(MON, "prometheus.yml"), join(dir, "rendered.yml"), { KABINET_DOMAIN: "consult.example.org" });
  expect(r.stderr).toBe("");
  const config = Bun.YAML.parse(r.text) as { global: { scrape_interval: string }; rule_files: string[]; alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] }; scrape_configs: { job_name: string; static_configs: { targets: string[] }[]; dns_sd_configs?: unknown[]; authorization?: { credentials_file: string } }[] };
  expect(config.global.scrape_interval).toBe("15s");
  expect(config.rule_files).toEqual(["/etc/kabinet-monitoring/alerts.yml"]);
  expect(config.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(["alertmanager:9093"]);
  const jobs = Object.fromEntries(config.scrape_configs.map((s) => [s.job_name, s]));
  expect(jobs.kabinet!.static_configs[0]!.targets).toEqual(["kabinet:9464"]);
  expect(jobs.kabinet!.authorization!.credentials_file).toBe("/run/secrets/metrics_token");
  expect(jobs["blackbox-https"]!.static_configs[0]!.targets).toEqual(["https://consult.example.org/livez"]);
  // Litestream through Docker's DNS (a target only while its container runs), on the port compose gives its `addr`.
  expect(jobs.litestream!.dns_sd_configs).toEqual([{ names: ["litestream"], type: "A", port: 9090 }]);
  const litestream = (Bun.YAML.parse(readFileSync(join(ROOT, "compose.yaml"), "utf8")) as { services: Record<string, { environment: Record<string, string>; networks?: unknown }> }).services;
  expect(litestream.litestream!.environment.KABINET_REPLICA_METRICS_LISTEN).toBe(":9090");
  expect(readFileSync(LITESTREAM_CONFIG, "utf8")).toMatch(/^addr: \$\{KABINET_REPLICA_METRICS_LISTEN\}$/m);
  // Both on compose's default network, where the name `litestream` resolves.
  expect([litestream.litestream!.networks, litestream.prometheus!.networks]).toEqual([undefined, undefined]);
  // promtool checks that the rule and credentials files exist: the container paths, moved.
  writeFileSync(join(dir, "metrics_token"), "");
  writeFileSync(join(dir, "rendered.yml"), r.text.replace("/etc/kabinet-monitoring/alerts.yml", join(MON, "alerts.yml")).replace("/run/secrets/metrics_token", join(dir, "metrics_token")));
  const check = run(["promtool", "check", "config", join(dir, "rendered.yml")]);
  expect(check.out).toContain(`SUCCESS: ${rules.length} rules found`);
  expect(check.code).toBe(0);
});

test("without the domain, Prometheus's start-up script stops and names the variable", () => {
  const r = render(join(MON, "prometheus.yml"), join(work, "prometheus-nodomain.yml"), {});
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("prometheus: set KABINET_DOMAIN (docs/monitoring.md)\n");
});

test("the alert rules pass promtool and their unit tests; every alert fires in one test and stays quiet in a near miss", () => {
  const check = run(["promtool", "check", "rules", "alerts.yml"], MON);
  expect(check.out).toContain(`SUCCESS: ${rules.length} rules found`);
  const unit = run(["promtool", "test", "rules", "alerts.test.yml"], MON);
  expect(unit.out).toContain("SUCCESS");
  expect(unit.code).toBe(0);

  type Case = { alertname: string; exp_alerts: { exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }[] };
  const cases = (Bun.YAML.parse(readFileSync(join(MON, "alerts.test.yml"), "utf8")) as { tests: { alert_rule_test: Case[] }[] }).tests.flatMap((t) => t.alert_rule_test);
  const docs = readFileSync(join(ROOT, "docs/monitoring.md"), "utf8");
  for (const rule of rules) {
    const mine = cases.filter((c) => c.alertname === rule.alert);
    const firing = mine.filter((c) => c.exp_alerts.length > 0);
    expect(firing.length, `${rule.alert} fires in a test`).toBeGreaterThan(0);
    for (const c of firing) for (const a of c.exp_alerts) expect(a.exp_annotations?.description, `${rule.alert}'s rendered description is tested`).toBeTruthy();
    expect(mine.some((c) => c.exp_alerts.length === 0), `${rule.alert} has a near miss`).toBe(true);
    expect(rule.labels.severity).toMatch(/^(critical|warning|info)$/);
    expect(Object.keys(rule.annotations).sort()).toEqual(["description", "runbook", "summary"]);
    // Each runbook points at its own section of docs/monitoring.md.
    expect(rule.annotations.runbook).toBe(`docs/monitoring.md#${rule.alert.toLowerCase()}`);
    expect(docs).toContain(`\n### ${rule.alert}\n`);
  }
});

test("Alertmanager's configuration, rendered from compose's environment, passes amtool and sends every severity to the admins by mail", () => {
  const dir = join(work, "alertmanager");
  mkdirSync(dir);
  const r = render(join(MON, "alertmanager.yml"), join(dir, "rendered.yml"), ALERT_ENV);
  expect(r.stderr).toBe("");
  expect(r.text).not.toMatch(/\$\{[A-Z]/);
  writeFileSync(join(dir, "alert_smtp_password"), "secret\n");
  const file = join(dir, "checked.yml");
  writeFileSync(file, r.text.replace("/run/secrets/alert_smtp_password", join(dir, "alert_smtp_password")));
  const check = run(["amtool", "check-config", file]);
  expect(check.out).toContain("SUCCESS");
  expect(check.code).toBe(0);
  for (const severity of ["critical", "warning", "info"]) {
    const route = run(["amtool", "config", "routes", "test", `--config.file=${file}`, "alertname=KabinetDiskFillingUp", `severity=${severity}`]);
    expect(route.stdout.trim()).toBe("admins");
  }
  // A value with a quote stays one YAML string; the password is read from its secret file, never written here.
  const quoted = render(join(MON, "alertmanager.yml"), join(dir, "quoted.yml"), { ...ALERT_ENV, KABINET_ALERT_MAIL_FROM: "O'Brien's clinic <alerts@example.org>" });
  expect((Bun.YAML.parse(quoted.text) as { global: { smtp_from: string } }).global.smtp_from).toBe("O'Brien's clinic <alerts@example.org>");
  const global = (Bun.YAML.parse(r.text) as { global: Record<string, unknown> }).global;
  expect(global.smtp_auth_password_file).toBe("/run/secrets/alert_smtp_password");
  expect(global.smtp_auth_password).toBeUndefined();
});

test("without a recipient or an SMTP server, Alertmanager's start-up script stops and names the variable", () => {
  for (const name of ["KABINET_ALERT_MAIL_TO", "KABINET_ALERT_SMTP_HOST", "KABINET_ALERT_MAIL_FROM"] as const) {
    const r = render(join(MON, "alertmanager.yml"), join(work, "am-missing.yml"), { ...ALERT_ENV, [name]: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`alertmanager: set ${name} (docs/monitoring.md)\n`);
  }
  // The SMTP user is optional (a relay that accepts this host without a password).
  const r = render(join(MON, "alertmanager.yml"), join(work, "am-nouser.yml"), { ...ALERT_ENV, KABINET_ALERT_SMTP_USER: "" });
  expect(r.code).toBe(0);
});

/** A self-signed certificate for localhost, valid `days` days: the CA file a Go program trusts via SSL_CERT_FILE. */
function localhostCertificate(dir: string, days: number): { cert: string; key: string; notAfter: number } {
  const cert = join(dir, "localhost.pem");
  const key = join(dir, "localhost.key");
  const r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", String(days), "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert]);
  if (r.code !== 0) throw new Error(`openssl failed: ${r.out}`);
  const end = run(["openssl", "x509", "-noout", "-enddate", "-in", cert]).out.trim().replace("notAfter=", "");
  return { cert, key, notAfter: Date.parse(end) / 1000 };
}

test("a real Alertmanager with the shipped configuration mails a firing alert through SMTP with STARTTLS, holding back its symptoms", async () => {
  const dir = join(work, "am-live");
  for (const sub of ["Maildir/new", "Maildir/cur", "Maildir/tmp", "data"]) mkdirSync(join(dir, sub), { recursive: true });
  const tls = localhostCertificate(dir, 2);
  const smtpPort = await freePort();
  // aiosmtpd refuses mail before STARTTLS, so a configuration that sent in clear would fail here.
  const smtp = Bun.spawn(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${smtpPort}`, "--tlscert", tls.cert, "--tlskey", tls.key, "-c", "aiosmtpd.handlers.Mailbox", join(dir, "Maildir")], { stdout: "ignore", stderr: "pipe" });
  const r = render(join(MON, "alertmanager.yml"), join(dir, "rendered.yml"), { ...ALERT_ENV, KABINET_ALERT_SMTP_HOST: `localhost:${smtpPort}`, KABINET_ALERT_SMTP_USER: "" });
  writeFileSync(join(dir, "alert_smtp_password"), "");
  writeFileSync(join(dir, "rendered.yml"), r.text.replace("/run/secrets/alert_smtp_password", join(dir, "alert_smtp_password")));
  const port = await freePort();
  const am = Bun.spawn(["prometheus-alertmanager", `--config.file=${join(dir, "rendered.yml")}`, `--storage.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="], { env: { PATH: process.env.PATH!, SSL_CERT_FILE: tls.cert }, stdout: "pipe", stderr: "pipe" });
  try {
    await waitForPort(smtpPort);
    await waitFor(`http://127.0.0.1:${port}/-/ready`, {}, 15_000, am);
    // Kabinet down and, as its symptom, a stale error-ratio alert: only the cause is mailed.
    const down = { labels: { alertname: "KabinetDown", severity: "critical", instance: "kabinet:9464", job: "kabinet" }, annotations: { summary: "Prometheus cannot reach Kabinet's metrics endpoint", description: "Run docker compose ps" } };
    const symptom = { labels: { alertname: "KabinetHighErrorRatio", severity: "critical" }, annotations: { summary: "More than 5% of Kabinet's requests fail", description: "See the Errors row" } };
    const posted = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify([down, symptom]) });
    expect(posted.status).toBe(200);
    const held = (await (await fetch(`http://127.0.0.1:${port}/api/v2/alerts`)).json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
    const state = Object.fromEntries(held.map((a) => [a.labels.alertname, { state: a.status.state, inhibited: a.status.inhibitedBy.length > 0 }]));
    expect(state).toEqual({ KabinetDown: { state: "active", inhibited: false }, KabinetHighErrorRatio: { state: "suppressed", inhibited: true } });
    // Critical alerts wait 10 s for others of their group before the first mail.
    const until = Date.now() + 30_000;
    let mails: string[] = [];
    while (mails.length === 0 && Date.now() < until) {
      await Bun.sleep(250);
      mails = readdirSync(join(dir, "Maildir/new")).map((f) => readFileSync(join(dir, "Maildir/new", f), "utf8"));
    }
    // The held-back alert's group would be mailed at the same moment: give it time to show up if it were.
    await Bun.sleep(2000);
    mails = readdirSync(join(dir, "Maildir/new")).map((f) => readFileSync(join(dir, "Maildir/new", f), "utf8"));
    expect(mails.length).toBe(1);
    expect(mails[0]).toMatch(/^To: it@example\.org\r?$/m);
    expect(mails[0]).toMatch(/^From: Kabinet alerts <alerts@example\.org>\r?$/m);
    expect(mails[0]).toMatch(/^Subject: \[FIRING:1\] KabinetDown .*critical/m);
  } finally {
    await stop(am);
    await stop(smtp);
  }
});

test("the blackbox module reads the certificate's expiry from a real HTTPS server it trusts, and fails on one it does not", async () => {
  const dir = join(work, "blackbox");
  mkdirSync(dir);
  const tls = localhostCertificate(dir, 20);
  expect(run(["prometheus-blackbox-exporter", `--config.file=${join(MON, "blackbox.yml")}`, "--config.check"]).code).toBe(0);
  const site = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: Bun.file(tls.cert), key: Bun.file(tls.key) }, fetch: (req) => new Response(new URL(req.url).pathname === "/livez" ? "ok" : "no", { status: new URL(req.url).pathname === "/livez" ? 200 : 404 }) });
  const plain = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
  const port = await freePort();
  const exporter = Bun.spawn(["prometheus-blackbox-exporter", `--config.file=${join(MON, "blackbox.yml")}`, `--web.listen-address=127.0.0.1:${port}`], { env: { PATH: process.env.PATH!, SSL_CERT_FILE: tls.cert }, stdout: "pipe", stderr: "pipe" });
  const probe = async (target: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/probe?module=https_certificate&target=${encodeURIComponent(target)}`)).text();
    const value = (name: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1]);
    return { success: value("probe_success"), expiry: value("probe_ssl_earliest_cert_expiry") };
  };
  try {
    await waitFor(`http://127.0.0.1:${port}/-/healthy`, {}, 15_000, exporter);
    const ok = await probe(`https://localhost:${site.port}/livez`);
    expect(ok.success).toBe(1);
    expect(ok.expiry).toBe(tls.notAfter);
    // A path that does not answer 200 fails the probe (a Caddy with Kabinet down answers 502).
    expect((await probe(`https://localhost:${site.port}/missing`)).success).toBe(0);
    // Plain HTTP is a failure, not a certificate that never expires.
    expect((await probe(`http://localhost:${plain.port}/livez`)).success).toBe(0);
  } finally {
    await stop(exporter);
    site.stop(true);
    plain.stop(true);
  }
});

type Service = { image: string; profiles?: string[]; entrypoint?: string[]; command?: string[]; environment: Record<string, string>; ports?: string[]; volumes?: string[]; secrets?: { source: string }[]; tmpfs?: string[] };
type Compose = { services: Record<string, Service>; secrets: Record<string, { file: string }>; volumes: Record<string, unknown> };
const MONITORING = ["prometheus", "alertmanager", "blackbox", "grafana"];

const composed = new Map<string, Compose>();
function composeConfig(extra: Record<string, string> = {}): Compose {
  const key = JSON.stringify(extra);
  if (!composed.has(key)) composed.set(key, runComposeConfig(extra));
  return structuredClone(composed.get(key)!);
}

function runComposeConfig(extra: Record<string, string>): Compose {
  const env = { PATH: process.env.PATH!, KABINET_DOMAIN: "consult.example.org", KABINET_MASTER_KEY_FILE: writeKeyFile(work, "compose.key"), KABINET_PUBLIC_IP: "127.0.0.1", ...extra };
  const r = Bun.spawnSync(["docker-compose", "-f", join(ROOT, "compose.yaml"), "--profile", "monitoring", "config"], { env, cwd: work, stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`docker-compose config failed: ${r.stderr.toString()}`);
  expect(r.stderr.toString()).toBe("");
  return Bun.YAML.parse(r.stdout.toString()) as Compose;
}

test("the monitoring profile: pinned official images, only Grafana published and only on loopback, Kabinet's metrics on the compose network", () => {
  const compose = composeConfig();
  for (const name of MONITORING) {
    const s = compose.services[name]!;
    expect(s.profiles, name).toEqual(["monitoring"]);
    expect(s.image).toMatch(/^(prom\/(prometheus|alertmanager|blackbox-exporter)|grafana\/grafana-oss):v?\d+\.\d+\.\d+$/);
    // The shipped files, read-only, at the path every entrypoint and provisioning file names.
    expect(s.volumes).toContain(`${MON}:/etc/kabinet-monitoring:ro`);
  }
  for (const name of ["prometheus", "alertmanager", "blackbox"]) expect(compose.services[name]!.ports, name).toBeUndefined();
  expect(compose.services.grafana!.ports).toEqual(["127.0.0.1:3000:3000/tcp"]);
  for (const v of ["prometheus_data", "alertmanager_data", "grafana_data"]) expect(Object.keys(compose.volumes)).toContain(v);
  // Without the profile nothing of it starts, and Kabinet runs as before.
  expect(compose.services.kabinet!.profiles).toBeUndefined();

  const kabinet = compose.services.kabinet!;
  expect(kabinet.environment.KABINET_METRICS_LISTEN).toBe("0.0.0.0:9464");
  expect(kabinet.environment.KABINET_METRICS_TOKEN_FILE).toBe("/run/secrets/metrics_token");
  expect(kabinet.secrets!.map((s) => s.source)).toContain("metrics_token");
  expect(compose.services.prometheus!.secrets!.map((s) => s.source)).toEqual(["metrics_token"]);
  // No token file set: an empty secret, and Kabinet then asks for none.
  expect(compose.secrets.metrics_token!.file).toBe("/dev/null");
  const config = loadConfig({ KABINET_DATA_DIR: work, KABINET_MASTER_KEY_FILE: join(work, "compose.key"), KABINET_METRICS_LISTEN: kabinet.environment.KABINET_METRICS_LISTEN!, KABINET_METRICS_TOKEN_FILE: "/dev/null" });
  expect(config.metrics).toEqual({ listen: { hostname: "0.0.0.0", port: 9464 }, token: null });
  // With one, Kabinet and Prometheus read the same file.
  const tokenFile = join(work, "metrics.token");
  writeFileSync(tokenFile, "0123456789abcdef0123456789abcdef\n");
  expect(composeConfig({ KABINET_METRICS_TOKEN_FILE: tokenFile }).secrets.metrics_token!.file).toBe(tokenFile);
  expect(loadConfig({ KABINET_DATA_DIR: work, KABINET_MASTER_KEY_FILE: join(work, "compose.key"), KABINET_METRICS_TOKEN_FILE: tokenFile }).metrics.token).toBe("0123456789abcdef0123456789abcdef");
});

test("Prometheus and Alertmanager start through render-config.sh with the variables their templates name", () => {
  const compose = composeConfig({ KABINET_ALERT_MAIL_TO: "it@example.org" });
  for (const [name, program] of [["prometheus", "/bin/prometheus"], ["alertmanager", "/bin/alertmanager"]] as const) {
    const s = compose.services[name]!;
    const [shell, script, template, output, dashes, exe, configFlag] = s.entrypoint!;
    expect([shell, script, template, dashes, exe]).toEqual(["/bin/sh", "/etc/kabinet-monitoring/render-config.sh", `/etc/kabinet-monitoring/${name}.yml`, "--", program]);
    expect(configFlag).toBe(`--config.file=${output}`);
    // The rendered copy goes to a private tmpfs, never into the read-only checkout.
    expect(s.tmpfs).toEqual([`${output!.slice(0, output!.lastIndexOf("/"))}:mode=1777`]);
    // Every ${NAME} the template uses reaches the container from compose.
    const names = [...readFileSync(join(MON, `${name}.yml`), "utf8").matchAll(/\$\{([A-Z_]+)(:-)?\}/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(Object.keys(s.environment), `${name} gets ${n}`).toContain(n);
  }
  expect(compose.services.alertmanager!.environment.KABINET_ALERT_MAIL_TO).toBe("it@example.org");
  expect(compose.services.alertmanager!.entrypoint).toContain("--cluster.listen-address=");
  expect(compose.services.alertmanager!.secrets!.map((s) => s.source)).toEqual(["alert_smtp_password"]);
  expect(compose.services.blackbox!.command).toEqual(["--config.file=/etc/kabinet-monitoring/blackbox.yml"]);
});

test("Grafana: admin password from a secret file, no anonymous access or sign-up, nothing that phones home", () => {
  const grafana = composeConfig().services.grafana!;
  expect(grafana.environment).toMatchObject({
    GF_SECURITY_ADMIN_PASSWORD__FILE: "/run/secrets/grafana_admin_password",
    GF_AUTH_ANONYMOUS_ENABLED: "false",
    GF_USERS_ALLOW_SIGN_UP: "false",
    GF_SECURITY_DISABLE_GRAVATAR: "true",
    GF_ANALYTICS_REPORTING_ENABLED: "false",
    GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
    GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
    GF_NEWS_NEWS_FEED_ENABLED: "false",
    GF_PLUGINS_PREINSTALL_DISABLED: "true",
    GF_PLUGINS_PUBLIC_KEY_RETRIEVAL_DISABLED: "true",
    GF_SNAPSHOTS_EXTERNAL_ENABLED: "false",
    GF_PATHS_PROVISIONING: "/etc/kabinet-monitoring/grafana/provisioning",
  });
  expect(Object.keys(grafana.environment).filter((k) => k.includes("INSTALL_PLUGINS"))).toEqual([]);
  expect(grafana.secrets!.map((s) => s.source)).toEqual(["grafana_admin_password"]);
  // Its start-up script, with the container's paths moved: an empty password file stops it, naming the variable.
  const dir = join(work, "grafana-start");
  mkdirSync(dir);
  const script = grafana.entrypoint![2]!.replaceAll("$$", "$").replaceAll("/run/secrets/grafana_admin_password", join(dir, "password")).replace("exec /run.sh", "echo started");
  writeFileSync(join(dir, "password"), "");
  const refused = Bun.spawnSync(["/bin/sh", "-c", script], { stdout: "pipe" });
  expect(refused.exitCode).toBe(1);
  expect(refused.stdout.toString()).toBe("grafana: set KABINET_GRAFANA_ADMIN_PASSWORD_FILE to a file holding the admin password (docs/monitoring.md)\n");
  writeFileSync(join(dir, "password"), "correct horse battery staple\n");
  expect(Bun.spawnSync(["/bin/sh", "-c", script], { stdout: "pipe" }).stdout.toString()).toBe("started\n");
});

// Names that come from Prometheus itself, the blackbox exporter and Litestream 0.3.13, not from Kabinet. Litestream's
// are checked against a running Litestream below.
const LITESTREAM_NAMES = ["litestream_total_wal_bytes", "litestream_replica_wal_bytes"];
const EXTERNAL_NAMES = ["up", "ALERTS", "probe_success", "probe_ssl_earliest_cert_expiry", ...LITESTREAM_NAMES];
const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);

/** The metric names a PromQL expression reads (functions, labels, strings and ranges left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)) if (!PROMQL_WORDS.has(m[1]!.toLowerCase())) names.add(m[1]!);
  return [...names];
}

test("metricNames finds the series an expression reads, not its functions, labels or ranges", () => {
  expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(kabinet_http_request_duration_seconds_bucket{route!="x"}[$__rate_interval])))')).toEqual(["kabinet_http_request_duration_seconds_bucket"]);
  expect(metricNames('(time() - a_seconds > b_seconds * 1.25 + 1800 and c > 0) or count(ALERTS{alertstate="firing"}) or vector(0)').sort()).toEqual(["ALERTS", "a_seconds", "b_seconds", "c"]);
  expect(metricNames("predict_linear(kabinet_data_disk_free_bytes[6h], 24 * 3600) < 0")).toEqual(["kabinet_data_disk_free_bytes"]);
});

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(join(MON, "grafana/dashboards/kabinet.json"), "utf8")) as { panels: Panel[] };
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

type Panel = { type: string; title: string; datasource?: { type: string; uid: string }; targets?: { expr: string; datasource?: { uid: string } }[]; panels?: Panel[] };

test("the dashboard: every panel, rows' nested ones included, reads the provisioned Prometheus, and every metric exists", async () => {
  const datasources = Bun.YAML.parse(readFileSync(join(MON, "grafana/provisioning/datasources/prometheus.yml"), "utf8")) as { datasources: { uid: string; type: string; url: string }[] };
  expect(datasources.datasources).toHaveLength(1);
  const ds = datasources.datasources[0]!;
  expect(ds).toMatchObject({ uid: "kabinet-prometheus", type: "prometheus", url: "http://prometheus:9090" });
  const providers = Bun.YAML.parse(readFileSync(join(MON, "grafana/provisioning/dashboards/kabinet.yml"), "utf8")) as { providers: { options: { path: string } }[] };
  // The provider reads the dashboards where the grafana service mounts config/monitoring.
  expect(providers.providers[0]!.options.path).toBe("/etc/kabinet-monitoring/grafana/dashboards");
  const dashboard = JSON.parse(readFileSync(join(MON, "grafana/dashboards/kabinet.json"), "utf8")) as { uid: string; panels: Panel[] };
  expect(dashboard.uid).toBe("kabinet");

  const all = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const rows = all.filter((p) => p.type === "row").map((p) => p.title);
  expect(rows).toEqual(["Consultations now", "Call quality", "Errors", "Latency", "Mail", "Disk", "Backups", "Replication", "Security", "Process"]);
  expect(dashboard.panels.some((p) => p.type === "row" && (p.panels ?? []).length > 0)).toBe(true);
  const panels = all.filter((p) => p.type !== "row");
  expect(panels.length).toBeGreaterThan(30);
  const exprs: string[] = [];
  for (const p of panels) {
    expect(p.title).toBeTruthy();
    expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: ds.uid });
    expect(p.targets!.length, p.title).toBeGreaterThan(0);
    for (const t of p.targets!) {
      expect(t.datasource?.uid, p.title).toBe(ds.uid);
      exprs.push(t.expr);
    }
  }
  exprs.push(...rules.map((r) => r.expr));

  const exported = new Set([...(await exportedNames()), ...EXTERNAL_NAMES]);
  const used = new Set(exprs.flatMap(metricNames));
  expect([...used].filter((n) => !exported.has(n))).toEqual([]);
  // And the other way round: every Kabinet metric of the contract is on the dashboard.
  expect(CONTRACT_NAMES.filter((n) => !used.has(n) && !used.has(`${n}_bucket`))).toEqual([]);
});

// The Kabinet metrics the dashboard must show: the contract between Kabinet's exporter (src/ops/metrics.ts) and this
// profile; histograms by their series' names.
const CONTRACT_NAMES = [
  "kabinet_build_info",
  "kabinet_http_requests_total",
  "kabinet_http_request_duration_seconds_bucket",
  "kabinet_http_request_duration_seconds_count",
  "kabinet_sfu_rooms",
  "kabinet_sfu_peers",
  "kabinet_sfu_streams",
  "kabinet_sfu_packets_forwarded_total",
  "kabinet_sfu_bytes_forwarded_total",
  "kabinet_sfu_packets_lost_total",
  "kabinet_sfu_rtt_seconds_bucket",
  "kabinet_sfu_nacks_total",
  "kabinet_sfu_retransmissions_total",
  "kabinet_sfu_keyframe_requests_total",
  "kabinet_sfu_layer_switches_total",
  "kabinet_sfu_peers_relayed",
  "kabinet_mail_queue_depth",
  "kabinet_mail_sent_total",
  "kabinet_mail_failures_total",
  "kabinet_signin_failures_total",
  "kabinet_signin_throttled_total",
  "kabinet_db_size_bytes",
  "kabinet_db_wal_size_bytes",
  "kabinet_db_last_checkpoint_timestamp_seconds",
  "kabinet_data_disk_free_bytes",
  "kabinet_data_disk_size_bytes",
  "kabinet_backup_last_success_timestamp_seconds",
  "kabinet_backup_last_size_bytes",
  "kabinet_backup_offsite_last_success_timestamp_seconds",
  "kabinet_backup_schedule_seconds",
  "kabinet_restore_drill_last_timestamp_seconds",
  "kabinet_restore_drill_ok",
  "kabinet_anomalies_total",
  "kabinet_event_loop_lag_seconds",
  "process_resident_memory_bytes",
  "process_start_time_seconds",
];

/** A running `kabinet serve --dev` (started once, on first use) with its metrics behind the token in `tokenFile`. */
type RunningKabinet = { metricsPort: number; tokenFile: string };
let kabinet: Promise<RunningKabinet> | null = null;
const started: Subprocess[] = [];
afterAll(async () => {
  for (const proc of started) await stop(proc);
});
function runningKabinet(): Promise<RunningKabinet> {
  kabinet ??= (async () => {
    const dir = join(work, "kabinet");
    mkdirSync(dir);
    const tokenFile = join(dir, "metrics.token");
    writeFileSync(tokenFile, "a token only Prometheus knows\n");
    const [appPort, metricsPort] = [await freePort(), await freePort()];
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
    const proc = Bun.spawn([process.execPath, "run", "src/main.ts", "serve", "--dev"], {
      cwd: ROOT,
      env: { ...clean, KABINET_DATA_DIR: join(dir, "data"), KABINET_LISTEN: `127.0.0.1:${appPort}`, KABINET_METRICS_LISTEN: `127.0.0.1:${metricsPort}`, KABINET_METRICS_TOKEN_FILE: tokenFile, KABINET_LOG_LEVEL: "warn" },
      stdout: "ignore",
      stderr: "inherit",
    });
    started.push(proc);
    await waitFor(`http://127.0.0.1:${appPort}/livez`, {}, 20_000, proc);
    await waitForPort(metricsPort);
    return { metricsPort, tokenFile };
  })();
  return kabinet;
}

/** Every series name a running Kabinet exports: histograms' _bucket, _sum and _count, and metrics without samples yet. */
async function exportedNames(): Promise<string[]> {
  const { metricsPort, tokenFile } = await runningKabinet();
  const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${readFileSync(tokenFile, "utf8").trim()}` } });
  expect(r.status).toBe(200);
  const names = new Set<string>();
  for (const line of (await r.text()).split("\n")) {
    const type = line.match(/^# TYPE (\S+) (\S+)$/);
    if (type) {
      names.add(type[1]!);
      if (type[2] === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(type[1]! + suffix);
      if (type[2] === "summary") for (const suffix of ["_sum", "_count"]) names.add(type[1]! + suffix);
    } else if (/^[a-zA-Z_:]/.test(line)) names.add(line.match(/^[a-zA-Z_:][\w:]*/)![0]);
  }
  return [...names];
}

/** The series names a real Litestream with config/litestream.yml exports once it has synced a database in WAL mode
 * with a write in it (as Kabinet leaves it), replicating to `replica(dir)`; polled until `want` are there or 5 s pass. */
async function litestreamSeries(name: string, replica: (dir: string) => string, want: string[]): Promise<Set<string>> {
  const dir = join(work, name);
  const data = join(dir, "data");
  mkdirSync(data, { recursive: true });
  const db = new Database(join(data, "kabinet.db"));
  db.run("PRAGMA journal_mode = WAL");
  db.run("CREATE TABLE t (x)");
  db.run("INSERT INTO t VALUES (1)");
  const port = await freePort();
  const litestream = Bun.spawn([litestreamBinary(), "replicate", "-config", LITESTREAM_CONFIG], { env: litestreamEnv(data, { url: replica(dir) }, port), stdout: "ignore", stderr: "ignore" });
  started.push(litestream);
  const names = new Set<string>();
  try {
    const until = Date.now() + 5_000;
    while (!want.every((n) => names.has(n)) && Date.now() < until) {
      await Bun.sleep(250);
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => "");
      for (const m of text.matchAll(/^([a-zA-Z_:][\w:]*)\{/gm)) names.add(m[1]!);
    }
  } finally {
    await stop(litestream);
    db.close();
  }
  return names;
}

test("the Litestream metrics the dashboard and alerts read are exported by Litestream 0.3.13 running config/litestream.yml", async () => {
  const names = await litestreamSeries("litestream", (dir) => `file://${join(dir, "replica")}`, LITESTREAM_NAMES);
  expect(LITESTREAM_NAMES.filter((n) => !names.has(n))).toEqual([]);
});

test("with a replica it cannot write from the start, Litestream has no replica counter at all (why KabinetReplicationStalled uses `unless`)", async () => {
  // A file where the replica's directory should be: the backup server's disk is gone.
  const names = await litestreamSeries("litestream-unwritable", (dir) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "replica"), "");
    return `file://${join(dir, "replica")}`;
  }, ["litestream_total_wal_bytes", "litestream_replica_wal_bytes"]);
  expect(names.has("litestream_total_wal_bytes")).toBe(true);
  expect(names.has("litestream_replica_wal_bytes")).toBe(false);
});

test("a real Prometheus with the shipped configuration scrapes Kabinet through the token file and evaluates every rule; a fresh install fires none", async () => {
  const { metricsPort, tokenFile } = await runningKabinet();
  const dir = join(work, "prometheus-live");
  mkdirSync(dir);
  const r = render(join(MON, "prometheus.yml"), join(dir, "rendered.yml"), { KABINET_DOMAIN: "consult.example.org" });
  // The container's paths and names moved to this machine; scraped every second so the test need not wait 15.
  const config = r.text
    .replace("/etc/kabinet-monitoring/alerts.yml", join(MON, "alerts.yml"))
    .replace("/run/secrets/metrics_token", tokenFile)
    .replace('"kabinet:9464"', `"127.0.0.1:${metricsPort}"`)
    .replaceAll(/(scrape|evaluation)_interval: 15s/g, "$1_interval: 1s");
  writeFileSync(join(dir, "rendered.yml"), config);
  const port = await freePort();
  const prometheus = Bun.spawn(["prometheus", `--config.file=${join(dir, "rendered.yml")}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=error"], { stdout: "ignore", stderr: "ignore" });
  started.push(prometheus);
  const api = `http://127.0.0.1:${port}/api/v1`;
  await waitFor(`http://127.0.0.1:${port}/-/ready`, {}, 15_000, prometheus);
  const query = async (promql: string) => ((await (await fetch(`${api}/query?query=${encodeURIComponent(promql)}`)).json()) as { data: { result: { metric: Record<string, string> }[] } }).data.result;

  const until = Date.now() + 15_000;
  while ((await query('up{job="kabinet"} == 1')).length === 0 && Date.now() < until) await Bun.sleep(250);
  expect((await query('up{job="kabinet"}')).map((s) => s.metric.instance)).toEqual([`127.0.0.1:${metricsPort}`]);
  expect(await query('up{job="kabinet"} == 1')).toHaveLength(1);
  // The name `litestream` does not resolve here, as on an install without the profile: once Prometheus has looked it
  // up, no target, so no `up` series to alert on.
  const lookups = async () => Number((await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).match(/^prometheus_sd_dns_lookups_total(?:\{[^}]*\})? (\S+)$/m)?.[1] ?? 0);
  while ((await lookups()) === 0 && Date.now() < until) await Bun.sleep(250);
  expect(await lookups()).toBeGreaterThan(0);
  const targets = (await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: { labels: Record<string, string> }[] } };
  expect(targets.data.activeTargets.filter((t) => t.labels.job === "litestream")).toEqual([]);
  expect(await query('up{job="litestream"}')).toEqual([]);
  // Evaluated over real series: a rule whose matching fails on real labels reports an error here.
  type Group = { rules: { name: string; health: string; lastError?: string; state: string; lastEvaluation: string }[] };
  const evaluatedRules = async () => ((await (await fetch(`${api}/rules`)).json()) as { data: { groups: Group[] } }).data.groups.flatMap((g) => g.rules);
  let evaluated = await evaluatedRules();
  while (evaluated.some((x) => x.health === "unknown") && Date.now() < until + 5000) {
    await Bun.sleep(250);
    evaluated = await evaluatedRules();
  }
  expect(evaluated.map((x) => x.name).sort()).toEqual(rules.map((x) => x.alert).sort());
  expect(evaluated.filter((x) => x.health !== "ok").map((x) => `${x.name}: ${x.health} ${x.lastError ?? ""}`)).toEqual([]);
  expect(await query('ALERTS{alertstate="firing"}')).toEqual([]);
  // Every panel's query parses and runs (Grafana's $__rate_interval as it resolves for a 15 s scrape).
  for (const expr of dashboardExprs()) {
    const answer = (await (await fetch(`${api}/query?query=${encodeURIComponent(expr.replaceAll("$__rate_interval", "1m"))}`)).json()) as { status: string; error?: string };
    expect(`${expr}: ${answer.status} ${answer.error ?? ""}`).toBe(`${expr}: success `);
  }
});
