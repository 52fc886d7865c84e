// A real coturn (Debian's `turnserver`) on loopback, configured from the shipped config/turnserver.conf: only the
// ports, the listening and relay address, the realm, the secret, the certificate and the one allowed peer (the
// media server, 127.0.0.1 here) are changed, so the tests exercise the rules the appliance ships with.
import type { Subprocess } from "bun";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, stop } from "./processes.ts";
import { tempDir } from "./installation.ts";

export const SHIPPED_CONFIG = join(import.meta.dir, "../../config/turnserver.conf");
const TURNSERVER = "/usr/bin/turnserver";

export interface Coturn {
  host: string;
  /** TURN over UDP and TCP. */
  port: number;
  tlsPort: number;
  realm: string;
  secret: string;
  relayPorts: readonly [number, number];
  /** Where its admin console (telnet CLI) and web admin would listen, were they not turned off. */
  adminPorts: readonly number[];
  /** Everything coturn printed so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Settings the test changes; every other line of the shipped file is kept as it is. */
const OVERRIDDEN = new Set(["listening-port", "tls-listening-port", "min-port", "max-port", "cert", "pkey", "log-file"]);

export function testConfig(overrides: Record<string, string | true>): string {
  const shipped = readFileSync(SHIPPED_CONFIG, "utf8")
    .split("\n")
    .filter((l) => !OVERRIDDEN.has(l.split("=")[0]!.trim()));
  return [...shipped, ...Object.entries(overrides).map(([k, v]) => (v === true ? k : `${k}=${v}`)), ""].join("\n");
}

export async function startCoturn(options: { allowedPeer?: string } = {}): Promise<Coturn> {
  if (!existsSync(TURNSERVER)) throw new Error("coturn is missing: apt-get install -y coturn (scripts/test.ts installs it as root)");
  const dir = tempDir("kabinet-coturn-");
  const port = await freePort();
  const tlsPort = await freePort();
  const relayBase = 41000 + Math.floor(Math.random() * 8000);
  const relayPorts = [relayBase, relayBase + 40] as const;
  const adminPorts = [await freePort(), await freePort()] as const;
  const secret = crypto.randomUUID();
  const realm = "turn.kabinet.test";
  // A self-signed certificate keeps the TLS listener of the shipped file alive (the relay tests speak UDP and TCP).
  const cert = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", `/CN=${realm}`, "-keyout", join(dir, "privkey.pem"), "-out", join(dir, "fullchain.pem")], { stderr: "pipe" });
  if (cert.exitCode !== 0) throw new Error(`openssl failed: ${cert.stderr.toString()}`);
  const config = testConfig({
    "listening-ip": "127.0.0.1",
    "relay-ip": "127.0.0.1",
    "listening-port": String(port),
    "tls-listening-port": String(tlsPort),
    "min-port": String(relayPorts[0]),
    "max-port": String(relayPorts[1]),
    cert: join(dir, "fullchain.pem"),
    pkey: join(dir, "privkey.pem"),
    "log-file": "stdout",
    realm,
    "static-auth-secret": secret,
    // coturn refuses every loopback peer unless told otherwise; the deny list still refuses 127.0.0.0/8 except the
    // allowed address, exactly as it refuses the LAN except the media server's address in production.
    "allow-loopback-peers": true,
    "allowed-peer-ip": options.allowedPeer ?? "127.0.0.1",
    pidfile: join(dir, "turnserver.pid"),
    userdb: join(dir, "turndb"),
    "cli-ip": "127.0.0.1",
    "cli-port": String(adminPorts[0]),
    "web-admin-ip": "127.0.0.1",
    "web-admin-port": String(adminPorts[1]),
  });
  writeFileSync(join(dir, "turnserver.conf"), config, { mode: 0o600 });
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([TURNSERVER, "-c", join(dir, "turnserver.conf")], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    for await (const chunk of stream) output += new TextDecoder().decode(chunk);
  };
  void collect(proc.stdout);
  void collect(proc.stderr);
  const started = Date.now();
  // coturn prints its listeners as it opens them; the TCP one answering means it is ready.
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`turnserver exited (${proc.exitCode}): ${output.slice(-2000)}`);
    const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (s) => (s.end(), true),
      () => false,
    );
    if (ok) break;
    if (Date.now() - started > 10_000) throw new Error(`turnserver did not listen within 10 s: ${output.slice(-2000)}`);
    await Bun.sleep(50);
  }
  return {
    host: "127.0.0.1",
    port,
    tlsPort,
    realm,
    secret,
    relayPorts,
    adminPorts,
    log: () => output,
    stop: async () => {
      await stop(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
