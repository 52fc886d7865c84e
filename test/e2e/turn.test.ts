// TURN as shipped (config/turnserver.conf on a real coturn, Debian's `turnserver`, on loopback):
// - a consultation between two real Chromium browsers that may use relayed candidates only (as on a network that
//   blocks direct UDP to the media server) decodes video over TURN/UDP and over TURN/TCP;
// - the relay is not open: no credentials, a wrong password and an expired username are all refused (401);
// - it relays to the media server's address only: every private, loopback, shared and reserved range is refused (403);
// - one set of credentials holds at most 12 allocations; coturn never logs the secret or a password.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { turnCredential } from "../../src/rooms/turn.ts";
import { cookieFor, setUpOrganisation } from "../support/accounts.ts";
import { DESKTOP, launchChromium, screenshotPath } from "../support/browser.ts";
import { type Coturn, startCoturn } from "../support/coturn.ts";
import { type ServedInstallation, serveInstallation } from "../support/installation.ts";
import { freePort } from "../support/processes.ts";
import { type Relayed, relayedCall } from "../support/relayed-call.ts";
import { ATTR, allocate, METHOD, TurnConnection } from "../support/turn-client.ts";

let turn: Coturn;
beforeAll(async () => {
  turn = await startCoturn({ allowedPeer: "127.0.0.1" });
});
afterAll(async () => {
  await turn?.stop();
});

/** Credentials as Kabinet mints them (src/rooms/turn.ts), valid for `seconds` from now. */
function credentials(secret: string, seconds = 3600): { username: string; password: string } {
  const username = `${Math.floor(Date.now() / 1000) + seconds}:${crypto.randomUUID().slice(0, 8)}`;
  return { username, password: turnCredential(secret, username) };
}

describe("the relay is not open", () => {
  for (const transport of ["udp", "tcp"] as const) {
    test(`over ${transport}: no credentials, a wrong password, an expired username or another secret get 401`, async () => {
      // Each attempt on a connection of its own: coturn keeps a refused 5-tuple's state for a while (437 otherwise).
      const attempt = async (cred: { username: string; password: string }) => {
        const c = await TurnConnection.open(transport, turn.host, turn.port);
        try {
          return await allocate(c, cred);
        } finally {
          c.close();
        }
      };
      const good = credentials(turn.secret);
      // `challenged`: the request without credentials got 401 with a realm and nonce first.
      for (const cred of [{ username: good.username, password: "not-the-password" }, credentials(turn.secret, -60), credentials("another-secret")]) {
        expect(await attempt(cred)).toMatchObject({ ok: false, challenged: true, code: 401 });
      }
      const ok = await attempt(good);
      expect(ok.ok).toBe(true);
      if (ok.ok) expect(ok.relayed.ip).toBe("127.0.0.1");
    });
  }
});

describe("the relay reaches the media server and nothing else", () => {
  // One address from each range config/turnserver.conf denies, plus loopback neighbours of the allowed address.
  const PRIVATE = ["127.0.0.2", "127.1.2.3", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.1", "192.0.0.9", "198.18.0.1", "240.0.0.1"];

  for (const transport of ["udp", "tcp"] as const) {
    test(`over ${transport}: permission for the media server's address only, 403 Forbidden for private and public ones`, async () => {
      const c = await TurnConnection.open(transport, turn.host, turn.port);
      try {
        const a = await allocate(c, credentials(turn.secret));
        if (!a.ok) throw new Error(`allocate failed: ${a.code}`);
        expect(await a.createPermission("127.0.0.1")).toBe("ok");
        for (const ip of PRIVATE) expect(`${ip}: ${await a.createPermission(ip)}`).toBe(`${ip}: 403`);
        // Nor any public address: the relay is not a way out of this host for whoever holds a call's credentials.
        for (const ip of ["8.8.8.8", "1.1.1.1", "203.0.114.7"]) expect(`${ip}: ${await a.createPermission(ip)}`).toBe(`${ip}: 403`);
      } finally {
        c.close();
      }
    });
  }

  test("one set of credentials holds at most 12 allocations at once (user-quota): the 13th gets 486", async () => {
    const good = credentials(turn.secret);
    const open: TurnConnection[] = [];
    try {
      const codes: (number | null | "ok")[] = [];
      for (let i = 0; i < 13; i++) {
        const c = await TurnConnection.open("udp", turn.host, turn.port);
        open.push(c);
        const a = await allocate(c, good);
        codes.push(a.ok ? "ok" : a.code);
      }
      expect(codes).toEqual([...Array(12).fill("ok"), 486]);
    } finally {
      for (const c of open) c.close();
    }
  });

  test("it hides its version and has no admin console: no SOFTWARE attribute, nothing on the CLI and web admin ports", async () => {
    const c = await TurnConnection.open("udp", turn.host, turn.port);
    try {
      const answer = await c.request(METHOD.allocate, [[ATTR.requestedTransport, Uint8Array.of(17, 0, 0, 0)]]);
      expect(answer.cls).toBe("error"); // the 401 challenge: it did answer
      expect(answer.attrs.has(ATTR.realm)).toBe(true);
      expect(answer.attrs.has(ATTR.software)).toBe(false);
    } finally {
      c.close();
    }
    for (const port of turn.adminPorts) {
      const listening = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
        (s) => (s.end(), true),
        () => false,
      );
      expect(`${port}: ${listening}`).toBe(`${port}: false`);
    }
  });

  test("coturn never logs the shared secret or a password", async () => {
    const c = await TurnConnection.open("udp", turn.host, turn.port);
    const good = credentials(turn.secret);
    await allocate(c, good);
    c.close();
    await Bun.sleep(200);
    expect(turn.log()).toContain("A peer IP 10.1.2.3 denied"); // it did log, and we read it
    expect(turn.log()).not.toContain(turn.secret);
    expect(turn.log()).not.toContain(good.password);
  });
});

describe("a consultation where browsers can only use the relay", () => {
  for (const transport of ["udp", "tcp"] as const) {
    test(`over TURN/${transport.toUpperCase()} (?transport=${transport}) both browsers decode the other's video, every connection through a ${transport.toUpperCase()} relay`, async () => {
      const r = await relayedCall(turn, { urls: [`turn:127.0.0.1:${turn.port}?transport=${transport}`], relayOnly: true, screenshot: `turn-${transport}-guest-phone` });
      console.log(`TURN/${transport}: video after ${r.ms} ms; guest ${JSON.stringify(r.guest)}; specialist ${JSON.stringify(r.host)}`);
      for (const side of [r.guest, r.host]) {
        expect(side.candidateTypes.every((t) => t === "relay")).toBe(true);
        expect(side.relayProtocols.every((p) => p === transport)).toBe(true);
      }
    }, 120_000);
  }
});

test("on a network that blocks UDP, browsers left to themselves reach each other's video through TURN over TCP", () => {
  if (process.getuid?.() !== 0) throw new Error("this test creates a network namespace and must run as root (as CI does)");
  const dir = mkdtempSync(join(tmpdir(), "kabinet-udp-blocked-"));
  try {
    const root = join(import.meta.dir, "../..");
    const r = Bun.spawnSync(["unshare", "-n", process.execPath, "test/support/udp-blocked-namespace.ts", join(dir, "result.json")], { cwd: root, stdout: "pipe", stderr: "pipe", timeout: 150_000 });
    if (r.exitCode !== 0) throw new Error(`the run without UDP failed: ${r.stderr.toString().slice(-3000)}`);
    const seen = JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as { host: Relayed; guest: Relayed; ms: number; droppedUdpPackets: number };
    console.log(`UDP blocked: video after ${seen.ms} ms; guest ${JSON.stringify(seen.guest)}; specialist ${JSON.stringify(seen.host)}; ${seen.droppedUdpPackets} UDP packets dropped`);
    // UDP was tried (direct and TURN over UDP) and dropped; what got through is TURN over TCP.
    expect(seen.droppedUdpPackets).toBeGreaterThan(0);
    for (const side of [seen.guest, seen.host]) {
      expect(side.candidateTypes.every((t) => t === "relay")).toBe(true);
      expect(side.relayProtocols.every((p) => p === "tcp")).toBe(true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);

describe("the admin media page", () => {
  /** The page in Chromium as an admin: the texts it shows and what "Check the paths" found, path by path. */
  async function checkPaths(served: ServedInstallation, adminId: string, args: string[] = []): Promise<{ page: Page; results: { path: string; state: string }[]; close(): Promise<void> }> {
    const browser = await launchChromium({ args });
    const context = await browser.newContext({ viewport: DESKTOP, locale: "en-US" });
    const [cookie, value] = cookieFor(served.inst, adminId).split("=") as [string, string];
    await context.addCookies([{ name: cookie, value, url: served.origin }]);
    const page = await context.newPage();
    page.on("pageerror", (e) => console.error(`[admin] ${e}`));
    await page.goto(`${served.origin}/admin/media`);
    await page.getByRole("button", { name: "Check the paths" }).click();
    await page.waitForFunction(() => (window as unknown as { kabinetMediaCheck?: { done: boolean } }).kabinetMediaCheck?.done === true, null, { timeout: 90_000 });
    const results = await page.evaluate(() => (window as unknown as { kabinetMediaCheck: { results: { path: string; state: string }[] } }).kabinetMediaCheck.results);
    console.log(`admin media check${args.length ? ` (${args.join(" ")})` : ""}: ${JSON.stringify(results)}`);
    return { page, results, close: () => browser.close() };
  }

  test("shows the settings without the secret, and tells which paths reach the media server from the admin's browser", async () => {
    const closed = await freePort(); // nothing listens there
    const urls = [
      `turn:127.0.0.1:${turn.port}?transport=udp`,
      `turn:127.0.0.1:${turn.port}?transport=tcp`,
      `turns:${turn.realm}:${turn.tlsPort}?transport=tcp`,
      `turn:127.0.0.1:${closed}?transport=udp`,
    ];
    const media = 20000 + Math.floor(Math.random() * 20000);
    const served = await serveInstallation({ KABINET_MEDIA_PORTS: `${media}-${media + 20}`, KABINET_PUBLIC_IP: "127.0.0.1", KABINET_ICE_SERVERS: urls.join(","), KABINET_TURN_SECRET: turn.secret });
    // The relay's name resolves to it, as a DNS record would.
    const resolve = `--host-resolver-rules=MAP ${turn.realm} 127.0.0.1`;
    try {
      const admin = await setUpOrganisation(served.inst);
      const seen = await checkPaths(served, admin.personId, [resolve]);
      try {
        const { page } = seen;
        expect(await page.content()).not.toContain(turn.secret);
        expect(await page.locator("dl").textContent()).toContain(`${media}–${media + 20}`);
        expect(await page.locator("#media-ice-servers li").allTextContents()).toEqual(urls);
        // The test relay's certificate is self-signed: a browser refuses it, as it would an expired or wrong one.
        expect(seen.results.map((r) => `${r.path} ${r.state}`)).toEqual(["direct reachable", "turn-udp reachable", "turn-tcp reachable", "turns unreachable", "turn-udp unreachable"]);
        const rows = page.locator("#media-check li");
        expect(await rows.nth(1).locator(".kb-path-state").textContent()).toMatch(/^Reachable, round trip \d+ ms, \d+ % of test packets lost$/);
        expect(await rows.nth(1).locator(".kb-path-hint").isVisible()).toBe(false);
        expect(await rows.nth(3).locator(".kb-path-hint").textContent()).toContain("give the relay a valid certificate");
        expect(await rows.nth(4).locator(".kb-path-state").textContent()).toBe("Not reachable");
        expect(await rows.nth(4).locator(".kb-path-hint").isVisible()).toBe(true);
        expect(await rows.nth(4).locator(".kb-path-hint").textContent()).toContain("Open 3478/udp and the relay range");
        await page.screenshot({ path: screenshotPath("admin-media-desktop"), fullPage: true });
      } finally {
        await seen.close();
      }
      // A browser that accepts the certificate relays over the shipped TLS listener.
      const trusting = await checkPaths(served, admin.personId, [resolve, "--ignore-certificate-errors"]);
      await trusting.close();
      expect(trusting.results.map((r) => `${r.path} ${r.state}`)).toEqual(["direct reachable", "turn-udp reachable", "turn-tcp reachable", "turns reachable", "turn-udp unreachable"]);
    } finally {
      await served.stop();
    }
  }, 180_000);
});
