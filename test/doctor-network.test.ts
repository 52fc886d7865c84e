// `kabinet doctor`'s checks of the programs around Kabinet, each against the real thing on loopback: coturn (a TURN
// Allocate with credentials minted from the shared secret), Caddy with its internal CA and a Bun TLS server (the
// certificate through the public URL), and aiosmtpd (the mail server).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Coturn, startCoturn } from "./support/coturn.ts";
import { makeInstallation, runCli, tempDir, type TestInstallation } from "./support/installation.ts";
import { freePort, stop } from "./support/processes.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

let inst: TestInstallation;
let base: Record<string, string>;
beforeAll(async () => {
  inst = makeInstallation();
  base = { ...inst.env, KABINET_LISTEN: `127.0.0.1:${await freePort()}` };
});
afterAll(() => inst?.close());

const MAIN = join(import.meta.dir, "../src/main.ts");

/** runCli without blocking this process's event loop (for servers running inside the test). */
async function runCliBeside(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const proc = Bun.spawn([process.execPath, MAIN, ...args], { env: { ...clean, ...env }, stdout: "pipe", stderr: "inherit" });
  const stdout = await new Response(proc.stdout).text();
  return { code: await proc.exited, stdout };
}

/** The doctor's lines for one check, as printed. */
function linesOf(stdout: string, name: string): string {
  return stdout
    .split("\n")
    .reduce<{ out: string[]; on: boolean }>(
      (acc, l) => {
        const head = /^[✓!✗] (\S.*?) {2,}/.exec(l);
        const on = head ? head[1]!.trim() === name : acc.on;
        if (on) acc.out.push(l);
        return { out: acc.out, on };
      },
      { out: [], on: false },
    )
    .out.join("\n");
}

describe("TURN", () => {
  let turn: Coturn;
  beforeAll(async () => {
    turn = await startCoturn();
  });
  afterAll(async () => {
    await turn?.stop();
  });

  function secretFile(secret: string): string {
    const path = join(tempDir(), "turn.secret");
    writeFileSync(path, `${secret}\n`, { mode: 0o600 });
    return path;
  }

  test("the right shared secret allocates a relay over UDP and TCP; the secret never shows", () => {
    const urls = [`turn:127.0.0.1:${turn.port}?transport=udp`, `turn:127.0.0.1:${turn.port}?transport=tcp`];
    const r = runCli(["doctor"], { ...base, KABINET_ICE_SERVERS: urls.join(","), KABINET_TURN_SECRET_FILE: secretFile(turn.secret) });
    const lines = linesOf(r.stdout, "turn");
    for (const url of urls) {
      expect(lines).toMatch(new RegExp(`^✓ turn +${url.replace(/[.?]/g, "\\$&")}: relay allocated with credentials minted from the shared secret$`, "m"));
    }
    expect(lines).not.toContain("✗");
    expect(r.stdout).not.toContain(turn.secret);
  });

  test("a wrong secret fails with 401 and the fix; a port nobody answers on fails as no answer", async () => {
    const silent = await freePort();
    const r = runCli(["doctor"], {
      ...base,
      KABINET_ICE_SERVERS: `turn:127.0.0.1:${turn.port}?transport=udp,turn:127.0.0.1:${silent}?transport=udp`,
      KABINET_TURN_SECRET_FILE: secretFile("not-the-secret"),
    });
    expect(r.code).toBe(1);
    const lines = linesOf(r.stdout, "turn");
    expect(lines).toMatch(new RegExp(`^✗ turn +turn:127\\.0\\.0\\.1:${turn.port}\\?transport=udp: the credentials were refused \\(401\\): the secret or password does not match\\n +→ Make KABINET_TURN_SECRET_FILE hold the same secret as coturn's static-auth-secret`, "m"));
    expect(lines).toMatch(new RegExp(`^✗ turn +turn:127\\.0\\.0\\.1:${silent}\\?transport=udp: no answer within 3 s\\n +→ Check that the TURN server runs and that UDP ${silent} is open`, "m"));
  });

  test("turns: with the relay's self-signed certificate is not trusted", () => {
    const r = runCli(["doctor"], { ...base, KABINET_ICE_SERVERS: `turns:127.0.0.1:${turn.tlsPort}?transport=tcp`, KABINET_TURN_SECRET_FILE: secretFile(turn.secret) });
    expect(linesOf(r.stdout, "turn")).toMatch(/^✗ turn +turns:127\.0\.0\.1:\d+\?transport=tcp: its certificate is not trusted \([A-Z_]+\)\n +→ Serve a certificate for 127\.0\.0\.1/m);
  });
});

describe("TLS certificate through the public URL", () => {
  let caddy: Subprocess | null = null;
  let caddyPort = 0;
  let caddyRoot = "";
  beforeAll(async () => {
    const work = tempDir("kabinet-doctor-caddy-");
    caddyPort = await freePort();
    const storage = join(work, "storage");
    writeFileSync(
      join(work, "Caddyfile"),
      `{
	admin off
	skip_install_trust
	http_port ${await freePort()}
	https_port ${caddyPort}
	storage file_system ${storage}
	default_sni localhost
}

https://localhost:${caddyPort} {
	tls internal
	respond "ok"
}
`,
    );
    caddy = Bun.spawn(["caddy", "run", "--config", join(work, "Caddyfile"), "--adapter", "caddyfile"], {
      cwd: work,
      env: { PATH: process.env.PATH!, HOME: work, XDG_DATA_HOME: join(work, "data"), XDG_CONFIG_HOME: join(work, "config") },
      stdout: "ignore",
      stderr: "ignore",
    });
    caddyRoot = join(storage, "pki/authorities/local/root.crt");
    // Caddy writes its root first, then issues the leaf; a handshake that gets a certificate means it is ready.
    const until = Date.now() + 15_000;
    for (;;) {
      const ready = await Promise.resolve()
        .then(() => fetch(`https://localhost:${caddyPort}/`, { tls: { ca: readFileSync(caddyRoot, "utf8") } } as RequestInit))
        .then(
          (r) => r.ok,
          () => false,
        );
      if (ready) break;
      if (Date.now() > until || caddy.exitCode !== null) throw new Error("caddy did not serve within 15 s");
      await Bun.sleep(100);
    }
  }, 30_000);
  afterAll(async () => {
    if (caddy) await stop(caddy);
  });

  test("Caddy's internal certificate with --ca: trusted, but it lasts hours, so the near-expiry failure shows", () => {
    const r = runCli(["doctor", "--ca", caddyRoot], { ...base, KABINET_PUBLIC_URL: `https://localhost:${caddyPort}` });
    expect(r.code).toBe(1);
    expect(linesOf(r.stdout, "tls certificate")).toMatch(new RegExp(`^✗ tls certificate +the certificate at localhost:${caddyPort} \\(Caddy Local Authority[^)]*\\) expires in \\d+ h\\n +→ Renew it now`, "m"));
  });

  test("without --ca the private CA is not trusted; through an address the certificate does not name, a mismatch", () => {
    const untrusted = runCli(["doctor"], { ...base, KABINET_PUBLIC_URL: `https://localhost:${caddyPort}` });
    expect(linesOf(untrusted.stdout, "tls certificate")).toMatch(/^✗ tls certificate +the certificate at localhost:\d+ is not trusted \([A-Z_]+\)\n +→ .*pass --ca FILE/m);
    const mismatch = runCli(["doctor", "--ca", caddyRoot], { ...base, KABINET_PUBLIC_URL: `https://127.0.0.1:${caddyPort}` });
    expect(mismatch.code).toBe(1);
    expect(linesOf(mismatch.stdout, "tls certificate")).toMatch(/^✗ tls certificate +the certificate at 127\.0\.0\.1:\d+ is for DNS:localhost, not 127\.0\.0\.1\n +→ Serve a certificate for the public URL's host/m);
  });

  test("a certificate with 10 days left warns, one with 60 days is fine", async () => {
    for (const [days, expected] of [
      [10, /^! tls certificate +the certificate at localhost:\d+ \(localhost\) expires in 9 days\n +→ Renew it now/m],
      [60, /^✓ tls certificate +trusted certificate at localhost:\d+ \(localhost\), valid for 59 days$/m],
    ] as const) {
      const dir = tempDir();
      const made = Bun.spawnSync(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", String(days), "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        { stderr: "pipe" },
      );
      expect(made.exitCode).toBe(0);
      const server = Bun.serve({ hostname: "127.0.0.1", port: 0, tls: { cert: Bun.file(join(dir, "cert.pem")), key: Bun.file(join(dir, "key.pem")) }, fetch: () => new Response("ok") });
      try {
        // The server lives in this process: the doctor must run beside it, not block it.
        const r = await runCliBeside(["doctor", "--ca", join(dir, "cert.pem")], { ...base, KABINET_PUBLIC_URL: `https://localhost:${server.port}` });
        expect(linesOf(r.stdout, "tls certificate")).toMatch(expected);
      } finally {
        await server.stop(true);
      }
    }
  });
});

describe("SMTP", () => {
  let smtp: SmtpServer;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp?.stop();
  });

  test("a reachable server is fine; a closed port fails with the fix", async () => {
    const good = runCli(["doctor"], { ...base, KABINET_SMTP_URL: smtp.url });
    expect(linesOf(good.stdout, "mail")).toMatch(new RegExp(`^✓ mail +127\\.0\\.0\\.1:${smtp.port} answers \\(no login configured\\)$`));
    const closed = await freePort();
    const bad = runCli(["doctor"], { ...base, KABINET_SMTP_URL: `smtp://kabinet@127.0.0.1:${closed}`, KABINET_SMTP_PASSWORD: "hunter2-not-shown" });
    expect(bad.code).toBe(1);
    expect(linesOf(bad.stdout, "mail")).toMatch(new RegExp(`^✗ mail +cannot reach the mail server at 127\\.0\\.0\\.1:${closed} \\(\\w+\\)\\n +→ Check the host and port in KABINET_SMTP_URL`, "m"));
    expect(bad.stdout).not.toContain("hunter2");
  });
});

// aiosmtpd with a login (kabinet / right) and no TLS at all.
const AUTH_SERVER = `
import sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult

def authenticate(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == b"kabinet" and auth_data.password == b"right", handled=False)

controller = Controller(Sink(), hostname=sys.argv[2], port=int(sys.argv[1]), authenticator=authenticate, auth_require_tls=False)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
`;

describe("SMTP login", () => {
  let server: Subprocess<"pipe", "pipe", "inherit"> | null = null;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    server = Bun.spawn(["/usr/bin/python3", "-c", AUTH_SERVER, String(port), "127.0.0.1"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    const reader = server.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("ready");
    reader.releaseLock();
  });
  afterAll(async () => {
    if (server) await stop(server);
  });

  test("the right password signs in; a wrong one fails as a refused login without showing it; smtps:// to a plain port says so", async () => {
    const password = (p: string) => {
      const path = join(tempDir(), "smtp.password");
      writeFileSync(path, p, { mode: 0o600 });
      return path;
    };
    const url = `smtp://kabinet@127.0.0.1:${port}`;
    const good = await runCliBeside(["doctor"], { ...base, KABINET_SMTP_URL: url, KABINET_SMTP_PASSWORD_FILE: password("right") });
    expect(linesOf(good.stdout, "mail")).toMatch(new RegExp(`^✓ mail +signed in to 127\\.0\\.0\\.1:${port}$`));
    const wrong = await runCliBeside(["doctor"], { ...base, KABINET_SMTP_URL: url, KABINET_SMTP_PASSWORD_FILE: password("wrong-and-secret") });
    expect(wrong.code).toBe(1);
    expect(linesOf(wrong.stdout, "mail")).toMatch(/^✗ mail +127\.0\.0\.1:\d+ refused the login\n +→ Check the user in KABINET_SMTP_URL and the password in KABINET_SMTP_PASSWORD_FILE\.$/);
    expect(wrong.stdout).not.toContain("wrong-and-secret");
    const tls = await runCliBeside(["doctor"], { ...base, KABINET_SMTP_URL: `smtps://kabinet@127.0.0.1:${port}`, KABINET_SMTP_PASSWORD_FILE: password("right") });
    expect(linesOf(tls.stdout, "mail")).toMatch(/^✗ mail +127\.0\.0\.1:\d+ does not speak TLS from the first byte, as smtps:\/\/ expects \(\w+\)\n +→ Use smtps:\/\/ only with the server's TLS port/);
  });

  test("through an address that is not this machine's loopback, a server without STARTTLS fails: the password would cross in clear", async () => {
    // A network namespace of the test's own whose loopback also carries 192.0.2.1 (TEST-NET-1): not a loopback address
    // to the mailer's rule, yet no packet leaves the namespace. The mail server and the doctor both run inside it.
    const address = "192.0.2.1";
    const script = [
      "set -e",
      "ip link set lo up",
      `ip addr add ${address}/32 dev lo`,
      `ready=$(mktemp)`,
      // Its own output to a file, so the pipe this test reads closes when the doctor exits.
      `(sleep 30 | /usr/bin/python3 -c "$AUTH_SERVER" ${port} ${address} > "$ready" 2>/dev/null) </dev/null >/dev/null 2>&1 &`,
      `for i in $(seq 100); do grep -q ready "$ready" && break; sleep 0.1; done`,
      `exec "${process.execPath}" "${MAIN}" doctor`,
    ].join("\n");
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
    const proc = Bun.spawn(["unshare", "-n", "sh", "-c", script], {
      env: { ...clean, ...base, AUTH_SERVER, KABINET_SMTP_URL: `smtp://kabinet@${address}:${port}`, KABINET_SMTP_PASSWORD: "right" },
      stdout: "pipe",
      stderr: "inherit",
    });
    const stdout = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(1);
    expect(linesOf(stdout, "mail")).toMatch(new RegExp(`^✗ mail +${address.replace(/\./g, "\\.")}:${port} does not upgrade to TLS \\(STARTTLS refused or not offered\\)\\n +→ Use smtps://`));
  });

});
