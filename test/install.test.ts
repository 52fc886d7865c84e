// The install an IT admin uses: compose file, the single binary from an empty directory, and real Caddy with TLS.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort, stop, waitFor } from "./support/processes.ts";
import { tempDir, writeKeyFile } from "./support/installation.ts";

const ROOT = join(import.meta.dir, "..");
const work = tempDir("kabinet-install-");
const procs: Subprocess[] = [];
afterAll(async () => {
  for (const p of procs) await stop(p);
  rmSync(work, { recursive: true, force: true });
});

/** Caddy config files as Debian's Caddy 2.6 can read them: lines marked `caddy>=2.7` dropped. */
function caddyConfigFor26(into: string): string {
  mkdirSync(into, { recursive: true });
  for (const name of readdirSync(join(ROOT, "config"))) {
    if (!name.startsWith("Caddyfile") && !name.endsWith(".caddy")) continue;
    const text = readFileSync(join(ROOT, "config", name), "utf8");
    writeFileSync(join(into, name), text.split("\n").filter((l) => !l.includes("# caddy>=2.7")).join("\n"));
  }
  return into;
}

describe("Dockerfile", () => {
  test("copies every local module the build script imports (Docker cannot run here, so this is checked by reading)", () => {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const copied = dockerfile
      .split("\n")
      .filter((l) => l.startsWith("COPY ") && !l.includes("--from"))
      .flatMap((l) => l.slice(5).trim().split(/\s+/).slice(0, -1));
    const covered = (path: string) => copied.some((c) => c === path || path.startsWith(`${c.replace(/\/$/, "")}/`));
    const pending = ["scripts/build.ts"];
    const seen = new Set<string>();
    while (pending.length) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      expect(covered(file), `${file} is not copied into the build stage`).toBe(true);
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const m of text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) pending.push(join(dirname(file), m[1]!));
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe("compose file", () => {
  test("validates with docker-compose when the required variables are set, and publishes the media UDP range", () => {
    const keyFile = writeKeyFile(work, "compose.key");
    const ok = Bun.spawnSync(["docker-compose", "-f", join(ROOT, "compose.yaml"), "config", "--quiet"], {
      env: { PATH: process.env.PATH!, KABINET_DOMAIN: "consult.example.org", KABINET_MASTER_KEY_FILE: keyFile, KABINET_PUBLIC_IP: "203.0.113.10" },
      cwd: work,
    });
    expect(ok.stderr.toString()).toBe("");
    expect(ok.exitCode).toBe(0);
    const full = Bun.spawnSync(["docker-compose", "-f", join(ROOT, "compose.yaml"), "config"], {
      env: { PATH: process.env.PATH!, KABINET_DOMAIN: "consult.example.org", KABINET_MASTER_KEY_FILE: keyFile, KABINET_PUBLIC_IP: "203.0.113.10" },
      cwd: work,
    }).stdout.toString();
    // docker-compose expands the range into one entry per port
    const udp = [...full.matchAll(/protocol: udp\n\s+published: (\d+)/g)].map((m) => Number(m[1])).filter((p) => p !== 443);
    expect(udp).toHaveLength(100);
    expect(Math.min(...udp)).toBe(40000);
    expect(Math.max(...udp)).toBe(40099);
    expect(full).toContain("KABINET_PUBLIC_IP: 203.0.113.10");
  });

  test("fails fast, naming the variable, when one is missing", () => {
    for (const [missing, env] of [
      ["KABINET_DOMAIN", { KABINET_MASTER_KEY_FILE: "/etc/kabinet/master.key", KABINET_PUBLIC_IP: "203.0.113.10" }],
      ["KABINET_MASTER_KEY_FILE", { KABINET_DOMAIN: "consult.example.org", KABINET_PUBLIC_IP: "203.0.113.10" }],
      ["KABINET_PUBLIC_IP", { KABINET_DOMAIN: "consult.example.org", KABINET_MASTER_KEY_FILE: "/etc/kabinet/master.key" }],
    ] as const) {
      const r = Bun.spawnSync(["docker-compose", "-f", join(ROOT, "compose.yaml"), "config", "--quiet"], {
        env: { PATH: process.env.PATH!, ...env },
        cwd: work,
      });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr.toString()).toContain(`set ${missing}`);
    }
  });
});

describe("the Caddy configuration", () => {
  test("both variants parse (Debian Caddy 2.6, without the caddy>=2.7 lines)", () => {
    const dir = caddyConfigFor26(join(work, "caddy-check"));
    for (const file of ["Caddyfile", "Caddyfile.lan"]) {
      const r = Bun.spawnSync(["caddy", "adapt", "--config", join(dir, file), "--adapter", "caddyfile"], {
        env: { PATH: process.env.PATH!, HOME: work, KABINET_DOMAIN: "consult.example.org" },
      });
      expect(r.stderr.toString()).not.toContain("Error");
      expect(r.exitCode).toBe(0);
      const json = JSON.parse(r.stdout.toString());
      expect(JSON.stringify(json)).toContain("consult.example.org");
      expect(json.admin?.disabled).toBe(true);
    }
  });
});

describe("the binary behind Caddy", () => {
  let binary: string;
  let binaryDir: string;
  let binaryEnv: Record<string, string>;
  let metricsPort: number;
  let httpsPort: number;
  let caFile: string;
  let origin: string;

  beforeAll(async () => {
    // Build the binary and run it from an empty directory with no node_modules.
    const bin = join(work, "bin", "kabinet");
    const build = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outfile", bin], { cwd: ROOT });
    if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr}`);
    const empty = join(work, "empty");
    mkdirSync(empty);
    copyFileSync(bin, join(empty, "kabinet"));
    Bun.spawnSync(["chmod", "755", join(empty, "kabinet")]);

    const appPort = await freePort();
    metricsPort = await freePort();
    httpsPort = await freePort();
    const httpPort = await freePort();
    origin = `https://127.0.0.1:${httpsPort}`;
    writeFileSync(join(work, "metrics.token"), "scrape-token-of-the-test\n", { mode: 0o600 });
    binary = join(empty, "kabinet");
    binaryDir = empty;
    binaryEnv = {
      PATH: process.env.PATH!,
      KABINET_LISTEN: `127.0.0.1:${appPort}`,
      KABINET_PUBLIC_URL: origin,
      KABINET_MASTER_KEY_FILE: writeKeyFile(work, "install.key"),
      KABINET_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      KABINET_METRICS_TOKEN_FILE: join(work, "metrics.token"),
    };
    const app = Bun.spawn([binary, "serve"], {
      cwd: empty,
      env: binaryEnv,
      stdout: "ignore",
      stderr: "inherit",
    });
    procs.push(app);
    await waitFor(`http://127.0.0.1:${appPort}/readyz`, {}, 15_000, app);

    const caddyDir = caddyConfigFor26(join(work, "caddy"));
    const storage = join(work, "caddy-storage");
    writeFileSync(
      join(caddyDir, "Caddyfile.test"),
      `{
	admin off
	skip_install_trust
	http_port ${httpPort}
	https_port ${httpsPort}
	storage file_system ${storage}
}

https://127.0.0.1:${httpsPort} {
	tls internal
	import kabinet-site.caddy
}
`,
    );
    const caddy = Bun.spawn(["caddy", "run", "--config", join(caddyDir, "Caddyfile.test"), "--adapter", "caddyfile"], {
      cwd: caddyDir,
      env: {
        PATH: process.env.PATH!,
        HOME: work,
        XDG_DATA_HOME: join(work, "xdg-data"),
        XDG_CONFIG_HOME: join(work, "xdg-config"),
        KABINET_UPSTREAM: `127.0.0.1:${appPort}`,
      },
      stdout: "ignore",
      stderr: "ignore",
    });
    procs.push(caddy);
    caFile = join(storage, "pki/authorities/local/root.crt");
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        readFileSync(caFile);
        break;
      } catch {
        await Bun.sleep(50);
      }
    }
    await waitFor(`${origin}/livez`, { tls: { ca: readFileSync(caFile, "utf8") } }, 15_000, caddy);
  }, 120_000);

  const tls = () => ({ ca: readFileSync(caFile, "utf8") });

  test("/readyz and the first-run setup page come over HTTPS, trusting Caddy's root certificate", async () => {
    const ready = await fetch(`${origin}/readyz`, { tls: tls() } as RequestInit);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
    const page = await fetch(`${origin}/`, { tls: tls(), headers: { "accept-language": "ru" } } as RequestInit);
    expect(page.status).toBe(200);
    expect(page.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    expect(page.headers.get("server")).toBeNull();
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    // A fresh installation leads every page to first-run setup.
    expect(page.url).toBe(`${origin}/setup`);
    expect(await page.text()).toContain("Настройка Кабинета");
  });

  test("the embedded assets are served under content-hashed names, cacheable for a year", async () => {
    const page = await (await fetch(`${origin}/setup`, { tls: tls() } as RequestInit)).text();
    const urls = [...page.matchAll(/"(\/assets\/[^"]+\.[0-9a-f]{16}\.(?:css|js|svg))"/g)].map((m) => m[1]!);
    expect(urls.length).toBe(4);
    for (const url of urls) {
      const r = await fetch(`${origin}${url}`, { tls: tls() } as RequestInit);
      expect([url, r.status, r.headers.get("cache-control")]).toEqual([url, 200, "public, max-age=31536000, immutable"]);
      expect((await r.arrayBuffer()).byteLength).toBeGreaterThan(200);
    }
  });

  test("an untrusting client is refused: the certificate really is Caddy's own", async () => {
    await expect(fetch(`${origin}/readyz`)).rejects.toThrow();
  });

  test("a form post from our own origin passes CSRF through the proxy; a foreign one does not", async () => {
    const post = (o: string) =>
      fetch(`${origin}/lang`, {
        method: "POST",
        body: "lang=ru&back=/",
        redirect: "manual",
        headers: { origin: o, "content-type": "application/x-www-form-urlencoded" },
        tls: tls(),
      } as RequestInit);
    expect((await post(origin)).status).toBe(303);
    expect((await post("https://evil.example")).status).toBe(403);
  });

  test("a WebSocket upgrades through Caddy and echoes", async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws/check`, { headers: { origin }, tls: tls() } as never);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("hello through caddy");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("websocket failed"));
      setTimeout(() => reject(new Error("no echo within 5 s")), 5000);
    });
    ws.close();
    expect(reply).toBe("echo:hello through caddy");
  });

  test("a WebSocket from a foreign origin is refused", async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}/ws/check`, { headers: { origin: "https://evil.example" }, tls: tls() } as never);
    const outcome = await new Promise<string>((resolve) => {
      ws.onopen = () => resolve("open");
      ws.onerror = () => resolve("refused");
      ws.onclose = () => resolve("refused");
    });
    expect(outcome).toBe("refused");
  });

  test("the binary's metrics listener answers Prometheus with the token and nobody without; Caddy does not publish it", async () => {
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const r = await fetch(url, { headers: { authorization: "Bearer scrape-token-of-the-test" } });
    expect(r.status).toBe(200);
    const text = await r.text();
    for (const name of ["kabinet_build_info", "kabinet_http_requests_total", "kabinet_sfu_rooms", "kabinet_db_size_bytes", "process_resident_memory_bytes"]) {
      expect(text).toContain(`\n${name}`);
    }
    // Before first-run setup every page leads to /setup; either way, no metrics come out of the public site.
    const viaCaddy = await fetch(`${origin}/metrics`, { tls: tls(), redirect: "manual" } as RequestInit);
    expect([303, 404]).toContain(viaCaddy.status);
    expect(await viaCaddy.text()).not.toContain("kabinet_");
  });

  test("the binary backs up beside its running server, and the backup restores into an empty data dir", async () => {
    const backup = Bun.spawn([binary, "backup"], { cwd: binaryDir, env: binaryEnv, stdout: "pipe", stderr: "pipe" });
    const [code, out] = await Promise.all([backup.exited, new Response(backup.stdout).text()]);
    expect(code, await new Response(backup.stderr).text()).toBe(0);
    const file = readdirSync(join(binaryDir, "data", "backups")).find((f) => f.endsWith(".kbk"));
    expect(file, out).toBeDefined();
    const restored = join(work, "restored");
    const restore = Bun.spawn([binary, "restore", join(binaryDir, "data", "backups", file!)], {
      cwd: binaryDir,
      env: { ...binaryEnv, KABINET_DATA_DIR: restored, KABINET_METRICS_LISTEN: "off" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [restoreCode, restoreOut] = await Promise.all([restore.exited, new Response(restore.stdout).text()]);
    expect(restoreCode, await new Response(restore.stderr).text()).toBe(0);
    expect(restoreOut).toMatch(/integrity/i);
    expect(readdirSync(restored)).toContain("kabinet.db");
  }, 60_000);
});
