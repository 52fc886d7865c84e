// `npm test`: system packages the tests need → type-check → `bun test` → one line "N passed, N failed".
// Tests that need Debian's chromium, caddy, coturn, prometheus, openssh-server or docker-compose never skip: a missing one is installed (as root) or the
// run stops with the exact apt-get line.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const SYSTEM_PACKAGES: Record<string, string> = {
  caddy: "/usr/bin/caddy",
  "docker-compose": "/usr/bin/docker-compose",
  chromium: "/usr/bin/chromium",
  "python3-aiosmtpd": "/usr/lib/python3/dist-packages/aiosmtpd",
  // libical's iTIP restriction check on mailed calendar files (through Debian's python3 and GObject introspection)
  "python3-gi": "/usr/lib/python3/dist-packages/gi",
  "gir1.2-ical-3.0": `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu/girepository-1.0/ICalGLib-3.0.typelib`,
  // the offline call test: a namespace whose every outgoing packet is captured
  tcpdump: "/usr/bin/tcpdump",
  iproute2: "/usr/sbin/ip",
  // the network check under loss: a namespace whose outgoing UDP loses a share of packets
  nftables: "/usr/sbin/nft",
  // the TURN relay as shipped (config/turnserver.conf): relayed calls, refused peers and credentials
  coturn: "/usr/bin/turnserver",
  openssl: "/usr/bin/openssl",
  // operations: a real Prometheus scraping the binary, promtool for the alert rules, amtool for Alertmanager's config
  prometheus: "/usr/bin/promtool",
  "prometheus-alertmanager": "/usr/bin/amtool",
  // the certificate probe as the monitoring profile runs it, and the images' busybox shell for its config rendering
  "prometheus-blackbox-exporter": "/usr/bin/prometheus-blackbox-exporter",
  busybox: "/usr/bin/busybox",
  // the backup copy off the box and the replication runbook: a real local SFTP server
  "openssh-server": "/usr/sbin/sshd",
  // docs/api.md's curl examples, run as written against a served installation
  curl: "/usr/bin/curl",
  jq: "/usr/bin/jq",
  "uuid-runtime": "/usr/bin/uuidgen",
};

function ensureSystemPackages(): void {
  const missing = Object.entries(SYSTEM_PACKAGES)
    .filter(([, path]) => !existsSync(path))
    .map(([name]) => name);
  if (missing.length === 0) return;
  const line = `apt-get install -y ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) {
    console.error(`The tests need Debian packages that are missing. Run as root:\n  apt-get update && ${line}`);
    process.exit(1);
  }
  console.error(`Installing ${missing.join(", ")} for the tests: ${line}`);
  for (const cmd of [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", ...missing]]) {
    const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.status !== 0) {
      console.error(`Failed: ${cmd.join(" ")}. Run it by hand:\n  apt-get update && ${line}`);
      process.exit(1);
    }
  }
}

function typecheck(): boolean {
  const r = spawnSync("node_modules/.bin/tsc", ["--noEmit", "-p", "tsconfig.json"], { stdio: "inherit" });
  return r.status === 0;
}

async function bunTest(args: string[]): Promise<{ code: number; pass: number; fail: number }> {
  const child = spawn(process.execPath, ["test", "--timeout", "60000", ...args], { stdio: ["ignore", "inherit", "pipe"] });
  let tail = "";
  child.stderr.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  });
  const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  // The last such line is bun's own summary (a test may print a nested run's output before it).
  const count = (word: string) => Number([...tail.matchAll(new RegExp(`^\\s*(\\d+) ${word}$`, "gm"))].at(-1)?.[1] ?? 0);
  return { code, pass: count("pass"), fail: count("fail") };
}

ensureSystemPackages();
const typesOk = typecheck();
const result = await bunTest(process.argv.slice(2));
const failed = result.fail + (typesOk ? 0 : 1);
console.log(`${result.pass} passed, ${failed} failed`);
process.exit(result.code !== 0 ? result.code : typesOk ? 0 : 1);
