// The `turn` compose profile as an admin runs it: the compose file validates with and without the profile, Kabinet and
// coturn read one shared secret, and the turn service's own start-up script (taken from `docker-compose config`, only
// its paths moved into a temporary directory) starts a real coturn that accepts Kabinet's credentials, relays to the
// media server's address, never has the secret on its command line, and refuses to start without a secret.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { iceServersNow } from "../src/rooms/turn.ts";
import { loadConfig } from "../src/config.ts";
import { testConfig } from "./support/coturn.ts";
import { tempDir, writeKeyFile } from "./support/installation.ts";
import { freePort, stop } from "./support/processes.ts";
import { allocate, TurnConnection } from "./support/turn-client.ts";

const ROOT = join(import.meta.dir, "..");
const work = tempDir("kabinet-turn-compose-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Service = { entrypoint: string[]; environment: Record<string, string>; secrets: { source: string }[]; volumes: string[]; profiles?: string[]; network_mode?: string };
type Compose = { services: Record<string, Service>; secrets: Record<string, { file: string }> };

function composeConfig(extra: Record<string, string>, profile?: string): { code: number; stderr: string; config: Compose | null } {
  const env = { PATH: process.env.PATH!, KABINET_DOMAIN: "consult.example.org", KABINET_MASTER_KEY_FILE: writeKeyFile(work, "compose.key"), KABINET_PUBLIC_IP: "127.0.0.1", ...extra };
  const r = Bun.spawnSync(["docker-compose", "-f", join(ROOT, "compose.yaml"), ...(profile ? ["--profile", profile] : []), "config"], { env, cwd: work });
  const stdout = r.stdout.toString();
  return { code: r.exitCode ?? -1, stderr: r.stderr.toString(), config: r.exitCode === 0 ? (Bun.YAML.parse(stdout) as Compose) : null };
}

test("the turn service starts only with its profile; without it Kabinet hands out no TURN servers", () => {
  const r = composeConfig({});
  expect(r.stderr).toBe("");
  // `docker-compose config` lists every service; `up` starts one with profiles only when a profile of it is asked for.
  expect(r.config!.services.turn!.profiles).toEqual(["turn"]);
  expect(r.config!.services.kabinet!.profiles).toBeUndefined();
  expect(r.config!.services.caddy!.profiles).toBeUndefined();
  const kabinet = r.config!.services.kabinet!;
  expect(kabinet.environment.KABINET_ICE_SERVERS).toBe("");
  expect(r.config!.secrets.turn_secret!.file).toBe("/dev/null");
  // An empty secret file and no URLs: the configuration Kabinet loads has neither (nothing is contacted).
  const config = loadConfig({ KABINET_DATA_DIR: work, KABINET_MASTER_KEY_FILE: join(work, "compose.key"), KABINET_TURN_SECRET_FILE: "/dev/null" });
  expect(config.turnSecret).toBeNull();
  expect(config.iceServers).toEqual([]);
});

test("with the profile, Kabinet and coturn share one secret and the three documented URLs reach the browsers", () => {
  const secretFile = join(work, "turn.secret");
  writeFileSync(secretFile, "0123456789abcdef0123456789abcdef\n", { mode: 0o400 });
  const urls = "turn:consult.example.org:3478?transport=udp,turn:consult.example.org:3478?transport=tcp,turns:consult.example.org:5349?transport=tcp";
  const r = composeConfig({ KABINET_TURN_SECRET_FILE: secretFile, KABINET_ICE_SERVERS: urls }, "turn");
  expect(r.stderr).toBe("");
  const { kabinet, turn } = r.config!.services;
  expect(turn!.profiles).toEqual(["turn"]);
  expect(turn!.network_mode).toBe("host");
  expect(r.config!.secrets.turn_secret!.file).toBe(secretFile);
  expect(kabinet!.secrets.map((s) => s.source)).toContain("turn_secret");
  expect(turn!.secrets.map((s) => s.source)).toEqual(["turn_secret"]);
  expect(turn!.volumes.some((v) => v.endsWith("/config/turnserver.conf:/etc/coturn/turnserver.conf:ro"))).toBe(true);
  const config = loadConfig({ KABINET_DATA_DIR: work, KABINET_MASTER_KEY_FILE: join(work, "compose.key"), KABINET_TURN_SECRET_FILE: secretFile, KABINET_ICE_SERVERS: kabinet!.environment.KABINET_ICE_SERVERS! });
  expect(kabinet!.environment.KABINET_TURN_SECRET_FILE).toBe("/run/secrets/turn_secret");
  expect(config.turnSecret).toBe("0123456789abcdef0123456789abcdef");
  expect(iceServersNow(config).map((s) => s.urls)).toEqual(urls.split(","));
});

test("with the profile and only the secret set, browsers get the three URLs of the shipped relay on the public domain", () => {
  const secretFile = join(work, "turn.secret");
  writeFileSync(secretFile, "0123456789abcdef0123456789abcdef\n", { mode: 0o400 });
  const { kabinet } = composeConfig({ KABINET_TURN_SECRET_FILE: secretFile }, "turn").config!.services;
  const env = kabinet!.environment;
  expect(env.KABINET_ICE_SERVERS).toBe("");
  const config = loadConfig({ KABINET_DATA_DIR: work, KABINET_MASTER_KEY_FILE: join(work, "compose.key"), KABINET_PUBLIC_URL: env.KABINET_PUBLIC_URL!, KABINET_ICE_SERVERS: env.KABINET_ICE_SERVERS!, KABINET_TURN_SECRET_FILE: secretFile });
  const servers = iceServersNow(config);
  expect(servers.map((s) => s.urls)).toEqual(["turn:consult.example.org:3478?transport=udp", "turn:consult.example.org:3478?transport=tcp", "turns:consult.example.org:5349?transport=tcp"]);
  expect(servers.every((s) => s.username && s.credential)).toBe(true);
});

/** The turn service's start-up script with its container paths moved into `dir`. */
function startScript(turn: Service, dir: string): string {
  const script = turn.entrypoint[2]!.replaceAll("$$", "$");
  return script.replaceAll("/run/secrets/turn_secret", join(dir, "turn_secret")).replaceAll("/etc/coturn/turnserver.conf", join(dir, "shipped.conf")).replaceAll("/var/lib/coturn", dir);
}

test("the turn service's start-up script runs coturn with the shared secret (never on its command line) and the NAT address", async () => {
  const secretFile = join(work, "turn.secret");
  writeFileSync(secretFile, "fedcba9876543210fedcba9876543210\n");
  // Behind 1:1 NAT: the relay tells browsers its public address for the private one it binds.
  const turn = composeConfig({ KABINET_TURN_SECRET_FILE: secretFile, KABINET_TURN_EXTERNAL_IP: "198.51.100.20/127.0.0.1" }, "turn").config!.services.turn!;
  expect(turn.entrypoint.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
  const dir = tempDir("kabinet-turn-start-");
  const port = await freePort();
  const relay = 47000 + Math.floor(Math.random() * 1500);
  // The shipped file on loopback ports; realm, secret and the allowed peer come from the script, as in the container.
  writeFileSync(join(dir, "shipped.conf"), testConfig({ "listening-ip": "127.0.0.1", "relay-ip": "127.0.0.1", "listening-port": String(port), "tls-listening-port": String(await freePort()), "min-port": String(relay), "max-port": String(relay + 20), "allow-loopback-peers": true, pidfile: join(dir, "pid"), userdb: join(dir, "turndb"), "log-file": "stdout" }));
  writeFileSync(join(dir, "turn_secret"), readFileSync(secretFile));
  const proc = Bun.spawn(["/bin/sh", "-c", startScript(turn, dir)], { env: { PATH: process.env.PATH!, ...turn.environment }, stdout: "pipe", stderr: "pipe" });
  try {
    const until = Date.now() + 10_000;
    let c: TurnConnection | null = null;
    while (!c) {
      c = await TurnConnection.open("tcp", "127.0.0.1", port).catch(() => null);
      if (!c && (proc.exitCode !== null || Date.now() > until)) throw new Error(`coturn did not start: ${await new Response(proc.stdout).text()}`);
      if (!c) await Bun.sleep(50);
    }
    // `exec`: the shell became turnserver, so this is its command line.
    const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0");
    expect(cmdline[0]).toBe("turnserver");
    expect(cmdline.join(" ")).not.toContain("fedcba98");
    expect(cmdline).toContain("--realm=consult.example.org");
    const config = loadConfig({ KABINET_DATA_DIR: work, KABINET_MASTER_KEY_FILE: join(work, "compose.key"), KABINET_TURN_SECRET_FILE: secretFile, KABINET_ICE_SERVERS: `turn:127.0.0.1:${port}?transport=tcp` });
    const [server] = iceServersNow(config);
    try {
      const a = await allocate(c, { username: server!.username!, password: server!.credential! });
      if (!a.ok) throw new Error(`coturn refused Kabinet's credentials: ${a.code}`);
      expect(a.relayed.ip).toBe("198.51.100.20");
      expect(await a.createPermission("127.0.0.1")).toBe("ok"); // KABINET_PUBLIC_IP, the media server
      expect(await a.createPermission("127.0.0.2")).toBe(403);
    } finally {
      c.close();
    }
  } finally {
    await stop(proc);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the turn service refuses to start without a secret, saying which variable to set", () => {
  const turn = composeConfig({}, "turn").config!.services.turn!;
  const dir = tempDir("kabinet-turn-nosecret-");
  try {
    writeFileSync(join(dir, "turn_secret"), "");
    const r = Bun.spawnSync(["/bin/sh", "-c", startScript(turn, dir)], { env: { PATH: process.env.PATH!, ...turn.environment }, stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(1);
    expect(r.stdout.toString()).toStartWith("turn: set KABINET_TURN_SECRET_FILE to a file holding the shared secret");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
