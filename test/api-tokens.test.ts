// API tokens through the real app: made on the account page (shown once, stored only as a hash), used on
// /api/v1, refused with the reason (401 problem details with WWW-Authenticate), narrowed by scope (403), limited per
// minute (429), revoked on the page, by a role change and by deactivation; idempotency keys and ETags on the API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hashToken } from "../src/crypto/token.ts";
import { searchAudit } from "../src/audit/audit.ts";
import { en } from "../src/i18n/messages.ts";
import { addPerson, signedInClient, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { callApi, idempotencyProbe } from "./support/api.ts";
import type { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const ORIGIN = "https://consult.example.org";
const SECRET = /kbt_[A-Za-z0-9_-]{43}/g;
const a = en.apiTokens;
let inst: TestInstallation;
let admin: TestPerson;

beforeAll(async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN });
  admin = await setUpOrganisation(inst);
});
afterAll(() => inst.close());

/** A specialist of their own, signed in: each test's people are its own, so every test passes alone. */
async function specialistPage(): Promise<{ person: TestPerson; page: TestClient }> {
  const person = await addPerson(inst, admin.personId, "specialist");
  return { person, page: signedInClient(inst, person) };
}

function tokenForm(name: string, scopes: string[], extra: Record<string, string> = {}): Record<string, string> {
  return { name, days: "90", ...Object.fromEntries(scopes.map((s) => [`scope.${s}`, "on"])), ...extra };
}

/** Makes a token on the page, as a person would, and takes its secret from the answer. */
async function makeOnPage(page: TestClient, name: string, scopes: string[], path = "/account/api-tokens", extra: Record<string, string> = {}): Promise<string> {
  const r = await page.post(path, tokenForm(name, scopes, extra));
  expect(r.status).toBe(201);
  const secret = (await r.text()).match(SECRET)?.[0];
  if (!secret) throw new Error("no secret on the page");
  return secret;
}

function tokenIdOf(secret: string): string {
  const row = inst.db.$client.query("SELECT id FROM api_tokens WHERE token_hash = ?").get(Buffer.from(hashToken(secret))) as { id: string } | null;
  return row!.id;
}

async function expectRefused(r: Response, detail: RegExp, error: string | null = "invalid_token"): Promise<void> {
  expect(r.status).toBe(401);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  expect(r.headers.get("www-authenticate")).toBe(error ? `Bearer realm="kabinet", error="${error}"` : 'Bearer realm="kabinet"');
  const body = (await r.json()) as { status: number; title: string; detail: string };
  expect(body.status).toBe(401);
  expect(body.title).toBe("Unauthorized");
  expect(body.detail).toMatch(detail);
}

describe("API tokens made on the account page", () => {
  test("the secret is shown once, in the answer to the POST, and only its hash is stored; it opens /api/v1/services", async () => {
    const { page } = await specialistPage();
    const made = await page.post("/account/api-tokens", tokenForm("Clinic CRM", ["appointments:read"]));
    expect(made.status).toBe(201);
    expect(made.headers.get("cache-control")).toBe("no-store");
    expect(made.headers.get("location")).toBeNull();
    const html = await made.text();
    const secret = html.match(SECRET)![0];
    expect(html).toContain("It is shown only this once");
    expect(html).toContain(`curl -H &quot;Authorization: Bearer ${secret}&quot; ${ORIGIN}/api/v1/services`);
    expect(html).toContain("data-copy-text");

    // Not on the list page, nor anywhere the installation keeps: only its SHA-256.
    const list = await (await page.get("/account/api-tokens")).text();
    expect(list).toContain("Clinic CRM");
    expect(list).toContain(`${secret.slice(0, 10)}…`);
    expect(list).not.toContain(secret);
    const rows = inst.db.$client.query("SELECT * FROM api_tokens").all();
    expect(JSON.stringify(rows)).not.toContain(secret.slice(4));
    const id = tokenIdOf(secret);
    expect(id).toBeString();
    inst.db.$client.run("PRAGMA wal_checkpoint(TRUNCATE)");
    expect(readFileSync(join(inst.config.dataDir, "kabinet.db")).includes(Buffer.from(secret.slice(4)))).toBe(false);

    expect(list).toMatch(new RegExp(`${a.lastUsed}</dt><dd[^>]*>${a.never}</dd>`));
    const r = await callApi(inst, "/services", secret);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ items: [], next: null });
    expect(r.headers.get("ratelimit-limit")).toBe("600");
    // The last use shows on the page, as a time.
    const after = await (await page.get("/account/api-tokens")).text();
    expect(after).not.toMatch(new RegExp(`${a.lastUsed}</dt><dd[^>]*>${a.never}</dd>`));
    expect(after).toMatch(new RegExp(`${a.lastUsed}</dt><dd[^>]*>[^<]*\\d{4}[^<]*</dd>`));

    expect(searchAudit(inst.db, { actionPrefix: "api-token.create" }).some((e) => e.target === id)).toBe(true);
    expect(inst.logs.join("\n")).not.toContain(secret.slice(4));
  });

  test("the form offers only the scopes of the person's role, and a form with mistakes comes back with them (422)", async () => {
    const { person, page } = await specialistPage();
    const form = await (await page.get("/account/api-tokens")).text();
    expect(form).toContain('name="scope.records:read"');
    expect(form).toContain(a.scopeAbout["records:read"]);
    expect(form).not.toContain("webhooks:manage");
    expect(form).not.toContain("people:write");
    expect(form).toContain(`<option value="90" selected="">${a.days(90)}</option>`);

    const sneaked = await page.post("/account/api-tokens", tokenForm("Webhook bridge", ["appointments:read", "webhooks:manage"]));
    expect(sneaked.status).toBe(422);
    const sneakedHtml = await sneaked.text();
    expect(sneakedHtml).toContain(a.scopeNotAllowed);
    expect(sneakedHtml).toContain('value="Webhook bridge"');

    const empty = await page.post("/account/api-tokens", { name: " ", days: "7" });
    expect(empty.status).toBe(422);
    const emptyHtml = await empty.text();
    for (const message of [en.form.required, a.chooseScope, a.expiryInvalid]) expect(emptyHtml).toContain(message);
    expect(inst.db.$client.query("SELECT count(*) AS n FROM api_tokens WHERE person_id = ?").get(person.personId)).toEqual({ n: 0 });
  });

  test("staff and clients have no token page; the account page links to it for admins and specialists", async () => {
    const staff = signedInClient(inst, await addPerson(inst, admin.personId, "staff"));
    expect((await staff.get("/account/api-tokens")).status).toBe(403);
    expect(await (await staff.get("/account")).text()).not.toContain('href="/account/api-tokens"');
    const { page } = await specialistPage();
    expect(await (await page.get("/account")).text()).toContain('href="/account/api-tokens"');
    const adminPage = signedInClient(inst, admin);
    expect(await (await adminPage.get("/admin")).text()).toContain('href="/admin/api-tokens"');
  });
});

describe("who the API turns away", () => {
  test("missing, malformed and unknown tokens, and a signed-in browser's cookie: 401 with the reason", async () => {
    await expectRefused(await callApi(inst, "/services", null), /Send an API token/, null);
    await expectRefused(await callApi(inst, "/services", null, { headers: { authorization: "Basic YWRtaW46YWRtaW4=" } }), /does not hold a Kabinet API token/);
    await expectRefused(await callApi(inst, "/services", "kbt_short"), /does not hold a Kabinet API token/);
    await expectRefused(await callApi(inst, "/services", `kbt_${"A".repeat(43)}`), /not known here/);
    // An admin's session cookie never opens the API.
    const browser = signedInClient(inst, admin);
    const r = await browser.get("/api/v1/services");
    await expectRefused(r, /Send an API token/, null);
  });

  test("an expired token: 401 once the installation's clock passes its expiry", async () => {
    const { person, page } = await specialistPage();
    const secret = await makeOnPage(page, "Thirty days", ["appointments:read"], "/account/api-tokens", { days: "30" });
    expect((await callApi(inst, "/services", secret)).status).toBe(200);
    inst.clock.set(inst.clock.now() + 30 * 86_400_000 + 1000);
    try {
      await expectRefused(await callApi(inst, "/services", secret), /has expired/);
      // A fresh session: the one from before the clock moved has timed out with the month.
      expect(await (await signedInClient(inst, person).get("/account/api-tokens")).text()).toContain(`<em> · ${a.expired}</em>`);
    } finally {
      inst.clock.release();
    }
  });

  test("a token revoked on the page (after its confirmation): 401, and the list swaps in place for htmx", async () => {
    const { page } = await specialistPage();
    const secret = await makeOnPage(page, "Old CRM", ["appointments:read"]);
    const id = tokenIdOf(secret);
    const list = await (await page.get("/account/api-tokens")).text();
    expect(list).toContain(a.revokeConfirm("Old CRM").replace(/[“”]/g, (q) => q));
    expect(list).toContain(`hx-post="/account/api-tokens/${id}/revoke"`);
    // Someone else's token is not theirs to revoke.
    const other = await specialistPage();
    expect((await other.page.post(`/account/api-tokens/${id}/revoke`)).status).toBe(404);
    expect((await callApi(inst, "/services", secret)).status).toBe(200);

    const swapped = await page.post(`/account/api-tokens/${id}/revoke`, {}, { "hx-request": "true" });
    expect(swapped.status).toBe(200);
    const fragment = await swapped.text();
    expect(fragment).toStartWith('<div id="api-token-list">');
    expect(fragment).toContain("Revoked ");
    await expectRefused(await callApi(inst, "/services", secret), /was revoked/);
    expect(searchAudit(inst.db, { actionPrefix: "api-token.revoke" }).some((e) => e.target === id)).toBe(true);
  });

  test("deactivating the owner or changing their role ends their tokens", async () => {
    const adminPage = signedInClient(inst, admin);
    const one = await specialistPage();
    const two = await specialistPage();
    const first = await makeOnPage(one.page, "Deactivated's CRM", ["appointments:read"]);
    const second = await makeOnPage(two.page, "Moved's CRM", ["appointments:read"]);
    expect((await adminPage.post(`/admin/people/${one.person.personId}/deactivate`)).status).toBe(200);
    await expectRefused(await callApi(inst, "/services", first), /revoked|can no longer sign in/);
    expect((await adminPage.post(`/admin/people/${two.person.personId}/role`, { role: "staff" })).status).toBe(200);
    await expectRefused(await callApi(inst, "/services", second), /was revoked/);
  });

  test("a token without the route's scope: 403 naming the scope", async () => {
    const { page } = await specialistPage();
    const secret = await makeOnPage(page, "Rooms only", ["rooms:write"]);
    const r = await callApi(inst, "/services", secret);
    expect(r.status).toBe(403);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="kabinet", error="insufficient_scope", scope="appointments:read"');
    const body = (await r.json()) as { scope: string; detail: string };
    expect(body.scope).toBe("appointments:read");
    expect(body.detail).toContain("needs the scope appointments:read");
  });
});

describe("the admins' page of every token", () => {
  test("shows every token with its owner and rate; an admin's own token with a rate limit: 429 with Retry-After, then recovers", async () => {
    const adminPage = signedInClient(inst, admin);
    const { person, page } = await specialistPage();
    const theirs = await makeOnPage(page, "Specialist's feed", ["appointments:read"]);
    const bad = await adminPage.post("/admin/api-tokens", tokenForm("Too fast", ["appointments:read"], { rate: "100000" }));
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain(a.rateInvalid(6000));
    const secret = await makeOnPage(adminPage, "Accounting export", ["appointments:read", "webhooks:manage"], "/admin/api-tokens", { rate: "3" });

    const html = await (await adminPage.get("/admin/api-tokens")).text();
    expect(html).toContain("Specialist&#39;s feed");
    expect(html).toContain(person.name);
    expect(html).toContain(admin.name);
    expect(html).toContain(a.rateShown(3));
    expect(html).toContain(a.rateShown(600));
    expect(html).not.toContain(secret);

    inst.clock.set(inst.clock.now());
    try {
      for (let i = 0; i < 3; i++) expect((await callApi(inst, "/services", secret)).status).toBe(200);
      const limited = await callApi(inst, "/services", secret);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("content-type")).toBe("application/problem+json");
      expect(limited.headers.get("retry-after")).toBe("20");
      expect(((await limited.json()) as { detail: string }).detail).toContain("3 requests a minute");
      // Another token is not held back by this one's limit.
      expect((await callApi(inst, "/services", theirs)).status).toBe(200);
      inst.clock.advance(19_000);
      expect((await callApi(inst, "/services", secret)).status).toBe(429);
      inst.clock.advance(1_000);
      expect((await callApi(inst, "/services", secret)).status).toBe(200);
      // A clock set back (a correction) never drains the bucket.
      inst.clock.advance(60_000);
      expect((await callApi(inst, "/services", secret)).status).toBe(200);
      inst.clock.advance(-3_600_000);
      expect((await callApi(inst, "/services", secret)).status).toBe(200);
      expect((await callApi(inst, "/services", secret)).status).toBe(200);
    } finally {
      inst.clock.release();
    }

    // The admin revokes the specialist's token.
    const id = tokenIdOf(theirs);
    expect((await adminPage.post(`/admin/api-tokens/${id}/revoke`)).status).toBe(303);
    await expectRefused(await callApi(inst, "/services", theirs), /was revoked/);
    expect((await adminPage.post(`/admin/api-tokens/no-such-token/revoke`)).status).toBe(404);
  });
});

describe("reads carry an ETag", () => {
  test("If-None-Match with the ETag answers 304", async () => {
    const { page } = await specialistPage();
    const secret = await makeOnPage(page, "Poller", ["appointments:read"]);
    const first = await callApi(inst, "/services", secret);
    const tag = first.headers.get("etag");
    expect(tag).toBeTruthy();
    const again = await callApi(inst, "/services", secret, { headers: { "if-none-match": tag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await callApi(inst, "/services", secret, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
  });
});

describe("Idempotency-Key on POST (the real middleware before a probe handler, until the API has a POST route)", () => {
  test("a retry gets the first answer, marked Idempotent-Replayed; another body under the key is 422", async () => {
    const { page } = await specialistPage();
    const secret = await makeOnPage(page, "Booking bridge", ["appointments:write"]);
    const probe = idempotencyProbe(inst);
    const first = await probe.post(secret, "key-1", { start: "10:00" });
    expect(first.status).toBe(201);
    const firstBody = await first.json();
    const again = await probe.post(secret, "key-1", { start: "10:00" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(await again.json()).toEqual(firstBody);
    expect(probe.runs()).toBe(1);

    const other = await probe.post(secret, "key-1", { start: "11:00" });
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect(probe.runs()).toBe(1);
    // Without a key, or with a new one, the request runs.
    expect((await probe.post(secret, null, { start: "10:00" })).status).toBe(201);
    expect((await probe.post(secret, "key-2", { start: "10:00" })).status).toBe(201);
    expect(probe.runs()).toBe(3);
    // Keys belong to a token: another token's same key is a new request.
    const otherSecret = await makeOnPage(page, "Second bridge", ["appointments:write"]);
    expect((await probe.post(otherSecret, "key-1", { start: "10:00" })).headers.get("idempotent-replayed")).toBeNull();
    expect((await probe.post(secret, "bad key with spaces", {})).status).toBe(400);
  });

  test("a retry while the first is still running is 409; a 5xx frees the key; a claim left by a crash is taken over", async () => {
    const { page } = await specialistPage();
    const secret = await makeOnPage(page, "Slow bridge", ["appointments:write"]);
    const probe = idempotencyProbe(inst);
    const release = probe.hold();
    const running = probe.post(secret, "slow", { n: 1 });
    await Bun.sleep(5);
    const concurrent = await probe.post(secret, "slow", { n: 1 });
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get("retry-after")).toBe("1");
    release();
    expect((await running).status).toBe(201);
    expect(probe.runs()).toBe(1);

    expect((await probe.post(secret, "fails", { fail: true })).status).toBe(500);
    expect((await probe.post(secret, "fails", { fail: true })).headers.get("idempotent-replayed")).toBeNull();
    expect(probe.runs()).toBe(3);

    // A request that never finished (its process stopped) holds its key for a minute, then a retry runs.
    inst.clock.set(inst.clock.now());
    try {
      const releaseStuck = probe.hold();
      const stuck = probe.post(secret, "crashed", { n: 2 });
      await Bun.sleep(5);
      expect((await probe.post(secret, "crashed", { n: 2 })).status).toBe(409);
      inst.clock.advance(61_000);
      const retried = await probe.post(secret, "crashed", { n: 2 });
      expect(retried.status).toBe(201);
      releaseStuck();
      await stuck;
    } finally {
      inst.clock.release();
    }
  });

  test("the kept answer is sealed at rest", async () => {
    const { page } = await specialistPage();
    const secret = await makeOnPage(page, "Sealed bridge", ["appointments:write"]);
    const canary = `CANARY-${crypto.randomUUID()}`;
    expect((await idempotencyProbe(inst).post(secret, "sealed", { canary })).status).toBe(201);
    const rows = inst.db.$client.query("SELECT response FROM api_idempotency WHERE token_id = ?").all(tokenIdOf(secret)) as { response: Uint8Array }[];
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.response).includes(Buffer.from(canary))).toBe(false);
  });
});
