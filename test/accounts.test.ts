// Accounts end to end through the real app: setup, sign-in, two-factor, sessions, invitations, admin actions.
import { afterEach, describe, expect, test } from "bun:test";
import { currentTOTP } from "../src/accounts/totp.ts";
import { verifyAuditChain } from "../src/audit/audit.ts";
import { addPerson, setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { jobWorker } from "../src/worker.ts";
import { TestClient } from "./support/client.ts";
import { startSmtp } from "./support/smtp.ts";
import { makeInstallation, runCli, type TestInstallation } from "./support/installation.ts";

const ORIGIN = "https://consult.example.org";
let inst: TestInstallation;
afterEach(() => inst?.close());

function fresh(env: Record<string, string> = {}): TestClient {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, ...env });
  return new TestClient(inst.app, ORIGIN);
}

const auditActions = () => (inst.db.$client.query("SELECT action FROM audit_log ORDER BY id").all() as { action: string }[]).map((r) => r.action);
const sessionCookie = (c: TestClient) => c.cookies.get("__Host-kabinet_session");

async function signIn(c: TestClient, p: TestPerson, code = p.totpSecret ? currentTOTP(p.totpSecret) : null): Promise<Response> {
  const r = await c.post("/signin", { email: p.email, password: p.password });
  if (r.status !== 303 || !code || r.headers.get("location") !== "/signin/two-factor") return r;
  return await c.post("/signin/two-factor", { code });
}

describe("first-run setup", () => {
  test("every page leads to /setup; the code from the log is required; the admin must enrol two-factor", async () => {
    const c = fresh();
    expect((await c.get("/")).headers.get("location")).toBe("/setup");
    expect((await c.get("/signin")).headers.get("location")).toBe("/setup");
    const code = inst.logs.map((l) => JSON.parse(l)).find((l) => l.setupCode)?.setupCode as string;
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const form = { code: "AAAA-AAAA", orgName: "Клиника «Здоровье»", language: "ru", timeZone: "Europe/Moscow", name: "Анна", email: "anna@example.org", password: "qwertyuiop" };
    const wrong = await c.post("/setup", form);
    expect(wrong.status).toBe(422);
    const html = await wrong.text();
    expect(html).toContain("This setup code is not right");
    expect(html).toContain("This password is too common");
    expect(html).toContain('role="alert"');
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('value="Клиника «Здоровье»"'); // what was typed is kept

    const bad = await c.post("/setup", { ...form, code, password: "a long enough passphrase", email: "not-an-email", timeZone: "Mars/Olympus" });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Enter an email address like name@example.org.");
    expect(badHtml).toContain("This value is not valid.");

    const ok = await c.post("/setup", { ...form, code: code.toLowerCase(), password: "a long enough passphrase" });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/account/two-factor");
    expect((await c.get("/setup")).status).toBe(404);
    // Half-way: every page sends the admin back to enrolment.
    expect((await c.get("/")).headers.get("location")).toBe("/account/two-factor");
    expect((await c.get("/admin/people")).headers.get("location")).toBe("/account/two-factor");

    const enrolPage = await (await c.get("/account/two-factor")).text();
    expect(enrolPage).toContain("<svg");
    const secret = enrolPage.match(/data-testid="totp-secret">([A-Z2-7]+)</)?.[1]!;
    const before = sessionCookie(c);
    expect((await c.post("/account/two-factor", { code: "000000" })).status).toBe(422);
    const codes = await c.post("/account/two-factor", { code: currentTOTP(secret) });
    expect(codes.status).toBe(200);
    expect((await codes.text()).match(/<li>[A-Z2-9]{5}-[A-Z2-9]{5}<\/li>/g)).toHaveLength(10);
    expect(sessionCookie(c)).not.toBe(before); // a new session id at the privilege change
    const home = await c.get("/");
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("Hello, Анна");
    expect(auditActions()).toEqual(["person.create", "setup.complete", "two-factor.enable", "signin.success"]);
  });

  test("`kabinet admin create` prints a one-time link that sets the password; setup is then closed", async () => {
    const c = fresh();
    const r = runCli(["admin", "create", "--email", "Root@Example.org", "--name", "Root Admin"], inst.env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const link = r.stdout.match(/https:\/\/consult\.example\.org\/link\/[A-Za-z0-9_-]{43}/)?.[0]!;
    expect(link).toBeTruthy();
    expect((await c.get("/setup")).status).toBe(404);
    const toWelcome = await c.get(link);
    expect(toWelcome.headers.get("location")).toBe("/welcome");
    expect(await (await c.get("/welcome")).text()).toContain("Hello, Root Admin");
    const done = await c.post("/welcome", { password: "root admin passphrase" });
    expect(done.headers.get("location")).toBe("/account/two-factor");
    expect((await c.get(link)).status).toBe(410); // used once

    expect(runCli(["admin", "create", "--email", "root@example.org", "--name", "Again"], inst.env)).toMatchObject({ code: 1 });
    const usage = runCli(["admin", "create", "--email", "nope", "--name", "X"], inst.env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("admin create needs --email");
  });
});

describe("sign-in", () => {
  test("unknown email and wrong password get the same answer after the same work", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const time = async (email: string) => {
      const t = performance.now();
      const r = await c.post("/signin", { email, password: "wrong password here" });
      return { ms: performance.now() - t, status: r.status, text: (await r.text()).replace(/value="[^"]*@example\.org"/g, "").replace(/nonce="[^"]+"/g, "") };
    };
    const known = [await time(admin.email), await time(admin.email), await time(admin.email)];
    const unknown = [await time("nobody@example.org"), await time("nobody@example.org"), await time("nobody@example.org")];
    expect(unknown[0]!.status).toBe(known[0]!.status);
    expect(unknown[0]!.text).toBe(known[0]!.text);
    // Both paths run one argon2id verification (~30 ms); an early return would take ~1 ms. The bound is loose
    // because the machine is shared; it still fails for a path that skips the verification.
    const fastest = (xs: { ms: number }[]) => Math.min(...xs.map((x) => x.ms));
    expect(fastest(unknown)).toBeGreaterThan(fastest(known) * 0.4);
    expect(fastest(unknown)).toBeGreaterThan(10);
  });

  test("password then TOTP; the same code is refused a second time; a recovery code works once", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist");
    const first = await c.post("/signin", { email: specialist.email.toUpperCase(), password: specialist.password });
    expect(first.headers.get("location")).toBe("/signin/two-factor");
    const partial = sessionCookie(c);
    // A partial session reaches nothing else.
    expect((await c.get("/account")).headers.get("location")).toBe("/signin/two-factor");
    expect((await c.post("/signin/two-factor", { code: "123456" })).status).toBe(422);
    const code = currentTOTP(specialist.totpSecret!);
    const ok = await c.post("/signin/two-factor", { code });
    expect(ok.headers.get("location")).toBe("/");
    expect(sessionCookie(c)).not.toBe(partial);
    expect((await c.get("/account")).status).toBe(200);

    const other = new TestClient(inst.app, ORIGIN);
    await other.post("/signin", { email: specialist.email, password: specialist.password });
    const replay = await other.post("/signin/two-factor", { code });
    expect(replay.status).toBe(422);
    expect(await replay.text()).toContain("already used");

    // recovery codes: regenerate (needs the password), use one, the same one again fails
    const page = await c.post("/account/recovery-codes", { password: specialist.password });
    const recovery = (await page.text()).match(/[A-Z2-9]{5}-[A-Z2-9]{5}/)![0];
    expect((await other.post("/signin/two-factor", { code: recovery.toLowerCase() })).headers.get("location")).toBe("/");
    const third = new TestClient(inst.app, ORIGIN);
    await third.post("/signin", { email: specialist.email, password: specialist.password });
    expect((await third.post("/signin/two-factor", { code: recovery })).status).toBe(422);
    expect(auditActions()).toContain("recovery-code.use");
    expect(verifyAuditChain(inst.db, inst.vault).ok).toBe(true);
  });

  test("5 failures lock the account for 15 minutes with a clear message; after the wait, the right password works", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const client = await addPerson(inst, admin.personId, "client");
    for (let i = 0; i < 5; i++) expect((await c.post("/signin", { email: client.email, password: `wrong ${i} attempt` })).status).toBe(422);
    const locked = await c.post("/signin", { email: client.email, password: client.password });
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain("Too many attempts. Try again in 15 minutes.");
    // Russian too
    const ru = await c.post("/signin", { email: client.email, password: client.password }, { "accept-language": "ru" });
    expect(await ru.text()).toContain("Повторите через 15 минут.");
    // the window passes
    inst.db.$client.run("UPDATE sign_in_failures SET window_started_at = window_started_at - 15 * 60 * 1000");
    const after = await c.post("/signin", { email: client.email, password: client.password });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/"); // clients without two-factor go straight in
  });

  test("an attacker's failures from one address do not lock the owner out; the attacker stays throttled", async () => {
    const c = fresh({ KABINET_TRUST_PROXY: "true" });
    const admin = await setUpOrganisation(inst);
    const from = (address: string) => ({ "x-forwarded-for": address });
    const attacker = new TestClient(inst.app, ORIGIN);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await attacker.post("/signin", { email: admin.email, password: `guess number ${i}` }, from("203.0.113.66"))).status);
    expect(statuses.slice(0, 5)).toEqual([422, 422, 422, 422, 422]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    // The owner, at another address on a browser that never signed in here, gets in.
    const owner = await c.post("/signin", { email: admin.email, password: admin.password }, from("198.51.100.20"));
    expect([owner.status, owner.headers.get("location")]).toEqual([303, "/signin/two-factor"]);
    expect((await c.post("/signin/two-factor", { code: currentTOTP(admin.totpSecret!) }, from("198.51.100.20"))).headers.get("location")).toBe("/");
    // The attacker, even with the right password, is still throttled at theirs.
    expect((await attacker.post("/signin", { email: admin.email, password: admin.password }, from("203.0.113.66"))).status).toBe(429);
  });

  test("guesses from many addresses close the account to new browsers only: the owner's browser signs in anywhere", async () => {
    fresh({ KABINET_TRUST_PROXY: "true" });
    const admin = await setUpOrganisation(inst);
    const client = await addPerson(inst, admin.personId, "client");
    const from = (address: string) => ({ "x-forwarded-for": address });
    // The owner signed in on this browser before: it holds a device proof.
    const ownBrowser = new TestClient(inst.app, ORIGIN);
    expect((await ownBrowser.post("/signin", { email: admin.email, password: admin.password }, from("198.51.100.20"))).status).toBe(303);
    expect(ownBrowser.cookies.get("kabinet_device")).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    await ownBrowser.post("/signout");
    // A botnet: 5 guesses from each of 8 addresses.
    for (let a = 0; a < 8; a++) {
      const bot = new TestClient(inst.app, ORIGIN);
      for (let i = 0; i < 5; i++) await bot.post("/signin", { email: admin.email, password: `guess ${a}-${i}` }, from(`203.0.113.${a + 1}`));
    }
    // A new browser, even with the right password and from a clean address, waits out the window...
    expect((await new TestClient(inst.app, ORIGIN).post("/signin", { email: admin.email, password: admin.password }, from("192.0.2.50"))).status).toBe(429);
    // ...and so does a browser holding a proof for another account (the attacker's own client account, say).
    const attackerOwn = new TestClient(inst.app, ORIGIN);
    expect((await attackerOwn.post("/signin", { email: client.email, password: client.password }, from("203.0.113.1"))).status).toBe(303);
    await attackerOwn.post("/signout");
    expect((await attackerOwn.post("/signin", { email: admin.email, password: admin.password }, from("203.0.113.1"))).status).toBe(429);
    // A forged proof is worth nothing.
    const forger = new TestClient(inst.app, ORIGIN);
    forger.cookies.set("kabinet_device", ownBrowser.cookies.get("kabinet_device")!.replace(/(.)(.{5})$/, (_, ch: string, rest: string) => `${ch === "A" ? "B" : "A"}${rest}`));
    expect((await forger.post("/signin", { email: admin.email, password: admin.password }, from("192.0.2.51"))).status).toBe(429);
    // The owner's browser gets in, from any address, even one the attack came from.
    const back = await ownBrowser.post("/signin", { email: admin.email, password: admin.password }, from("203.0.113.2"));
    expect([back.status, back.headers.get("location")]).toEqual([303, "/signin/two-factor"]);
    // Guessing on a proven browser is throttled by its own counter.
    await ownBrowser.post("/signout");
    for (let i = 0; i < 5; i++) expect((await ownBrowser.post("/signin", { email: admin.email, password: `wrong ${i} here` })).status).toBe(422);
    expect((await ownBrowser.post("/signin", { email: admin.email, password: admin.password })).status).toBe(429);
    // When the window has passed, new browsers get in again.
    inst.clock.advance(15 * 60_000);
    expect((await new TestClient(inst.app, ORIGIN).post("/signin", { email: admin.email, password: admin.password }, from("192.0.2.50"))).status).toBe(303);
  });

  test("throttling per address spans accounts", async () => {
    const c = fresh();
    await setUpOrganisation(inst);
    for (let i = 0; i < 20; i++) await c.post("/signin", { email: `user${i}@example.org`, password: "wrong password" });
    expect((await c.post("/signin", { email: "someone-else@example.org", password: "x".repeat(12) })).status).toBe(429);
  });

  test("deactivated accounts cannot sign in and lose their sessions", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const staff = await addPerson(inst, admin.personId, "staff");
    const s = new TestClient(inst.app, ORIGIN);
    await signIn(s, staff);
    expect((await s.get("/account")).status).toBe(200);
    await signIn(c, admin);
    expect((await c.post(`/admin/people/${staff.personId}/deactivate`)).status).toBe(200);
    expect((await s.get("/account")).headers.get("location")).toBe("/signin");
    const again = await s.post("/signin", { email: staff.email, password: staff.password });
    expect(again.status).toBe(422);
    expect((await c.post(`/admin/people/${staff.personId}/reactivate`)).status).toBe(200);
    expect((await signIn(s, staff, currentTOTP(staff.totpSecret!, Date.now() + 30_000))).headers.get("location")).toBe("/");
  });
});

describe("sessions", () => {
  test("cookie is __Host-, Secure, HttpOnly, SameSite=Lax over HTTPS; plain HTTP uses the documented fallback name", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const r = await c.post("/signin", { email: admin.email, password: admin.password });
    const cookie = r.headers.getSetCookie().find((l) => l.startsWith("__Host-kabinet_session="))!;
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Domain=");
    inst.close();

    inst = makeInstallation();
    const admin2 = await setUpOrganisation(inst);
    const plain = new TestClient(inst.app, "http://127.0.0.1:8080");
    const r2 = await plain.post("/signin", { email: admin2.email, password: admin2.password });
    const cookie2 = r2.headers.getSetCookie().find((l) => l.startsWith("kabinet_session="))!;
    expect(cookie2).not.toContain("Secure");
    expect(cookie2).toContain("HttpOnly");
  });

  test("the return-after-sign-in cookie is Secure when the public URL is HTTPS, also behind the proxy's plain HTTP", async () => {
    fresh({ KABINET_TRUST_PROXY: "true" });
    await setUpOrganisation(inst);
    // Caddy hands the request on over plain HTTP; the browser's side is HTTPS.
    const r = await inst.app.request("http://127.0.0.1:8080/appointments", { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(r.headers.get("location")).toBe("/signin");
    const cookie = r.headers.getSetCookie().find((l) => l.startsWith("kabinet_return="));
    expect(cookie).toContain("%2Fappointments");
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
  });

  test("idle and absolute timeouts end a session", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    await signIn(c, admin);
    expect((await c.get("/account")).status).toBe(200);
    inst.db.$client.run("UPDATE sessions SET last_seen_at = last_seen_at - 31 * 60 * 1000");
    expect((await c.get("/account")).headers.get("location")).toBe("/signin");
    await signIn(c, admin, currentTOTP(admin.totpSecret!, Date.now() + 30_000));
    expect((await c.get("/account")).status).toBe(200);
    inst.db.$client.run("UPDATE sessions SET expires_at = 0");
    expect((await c.get("/account")).headers.get("location")).toBe("/signin");
  });

  test("the sessions list: revoke another device, not someone else's; sign out everywhere", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist");
    const laptop = new TestClient(inst.app, ORIGIN, { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0" });
    const phone = new TestClient(inst.app, ORIGIN, { "user-agent": "Mozilla/5.0 (Linux; Android 15) Chrome/156.0 Mobile Safari/537.36" });
    await signIn(laptop, specialist);
    await signIn(phone, specialist, currentTOTP(specialist.totpSecret!, Date.now() + 30_000));
    const page = await (await laptop.get("/account")).text();
    expect(page).toContain("Firefox on Linux");
    expect(page).toContain("Chrome on Android");
    const handle = page.match(/\/account\/sessions\/([A-Za-z0-9_-]+)\/revoke/)![1]!;
    // someone else's handle is not found
    await signIn(c, admin, currentTOTP(admin.totpSecret!, Date.now() + 30_000));
    expect((await c.post(`/account/sessions/${handle}/revoke`)).status).toBe(404);
    expect((await phone.get("/account")).status).toBe(200);
    // the owner revokes it
    expect((await laptop.post(`/account/sessions/${handle}/revoke`)).headers.get("location")).toBe("/account");
    expect((await phone.get("/account")).headers.get("location")).toBe("/signin");
    // sign out everywhere
    await signIn(phone, specialist, currentTOTP(specialist.totpSecret!, Date.now() + 60_000));
    expect((await laptop.post("/account/sessions/revoke-all")).headers.get("location")).toBe("/signin");
    expect((await phone.get("/account")).headers.get("location")).toBe("/signin");
    expect((await laptop.get("/account")).headers.get("location")).toBe("/signin");
    expect(auditActions()).toContain("session.revoke");
    expect(auditActions()).toContain("session.revoke-all");
  });

  test("sign out ends the session on the server, not only the cookie", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    await signIn(c, admin);
    const token = sessionCookie(c)!;
    await c.post("/signout");
    const replay = new TestClient(inst.app, ORIGIN);
    replay.cookies.set("__Host-kabinet_session", token);
    expect((await replay.get("/account")).headers.get("location")).toBe("/signin");
  });
});

describe("invitations, roles and resets", () => {
  test("admin invites; the link works once, lands on a clean URL, sets the password, then enrolment", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    await signIn(c, admin);
    const taken = await c.post("/admin/people", { name: "Dup", email: admin.email, role: "staff" });
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain("Someone with this email is already here.");
    const invalid = await c.post("/admin/people", { name: "", email: "x@", role: "overlord" });
    expect(invalid.status).toBe(422);

    const created = await c.post("/admin/people", { name: "Dr. Sergey Ivanov", email: "sergey@example.org", role: "specialist" });
    expect(created.status).toBe(201);
    const link = (await created.text()).match(/https:\/\/consult\.example\.org\/link\/[A-Za-z0-9_-]{43}/)![0];
    const person = new TestClient(inst.app, ORIGIN);
    expect((await person.get(link)).headers.get("location")).toBe("/welcome");
    expect((await person.post("/welcome", { password: "short" })).status).toBe(422);
    const accepted = await person.post("/welcome", { password: "sergey's long passphrase" });
    expect(accepted.headers.get("location")).toBe("/account/two-factor");
    expect((await new TestClient(inst.app, ORIGIN).get(link)).status).toBe(410);

    const list = await (await c.get("/admin/people")).text();
    expect(list).toContain("Dr. Sergey Ivanov");
    expect(list).toContain("sergey@example.org");
    expect(auditActions()).toEqual(expect.arrayContaining(["invitation.create", "invitation.accept", "people.list"]));
  });

  test("expired or replaced links are dead", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    await signIn(c, admin);
    const created = await (await c.post("/admin/people", { name: "Late", email: "late@example.org", role: "client" })).text();
    const first = created.match(/\/link\/([A-Za-z0-9_-]{43})/)![1]!;
    const id = (inst.db.$client.query("SELECT id FROM people WHERE role = 'client'").get() as { id: string }).id;
    const again = await (await c.post(`/admin/people/${id}/invitation`)).text();
    const second = again.match(/\/link\/([A-Za-z0-9_-]{43})/)![1]!;
    const p = new TestClient(inst.app, ORIGIN);
    expect((await p.get(`/link/${first}`)).status).toBe(410);
    inst.db.$client.run("UPDATE one_time_links SET expires_at = 0");
    expect((await p.get(`/link/${second}`)).status).toBe(410);
    expect((await p.get("/link/not-a-token")).status).toBe(410);
  });

  test("a role change ends the person's sessions; the last admin cannot be demoted or deactivated", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const staff = await addPerson(inst, admin.personId, "staff");
    const s = new TestClient(inst.app, ORIGIN);
    await signIn(s, staff);
    await signIn(c, admin);
    expect((await c.post(`/admin/people/${staff.personId}/role`, { role: "admin" })).status).toBe(200);
    expect((await s.get("/account")).headers.get("location")).toBe("/signin");
    await signIn(s, staff, currentTOTP(staff.totpSecret!, Date.now() + 30_000));
    expect((await s.get("/admin/people")).status).toBe(200); // now an admin
    // the new admin demotes the first one; then the first cannot be... the only remaining admin is protected
    expect((await s.post(`/admin/people/${admin.personId}/role`, { role: "specialist" })).status).toBe(200);
    expect((await s.post(`/admin/people/${staff.personId}/deactivate`)).status).toBe(409); // self
    const again = new TestClient(inst.app, ORIGIN);
    await signIn(again, admin, currentTOTP(admin.totpSecret!, Date.now() + 30_000));
    expect((await again.get("/admin/people")).status).toBe(403);
    expect(auditActions().filter((a) => a === "person.role")).toHaveLength(2);
  });

  test("a reset link sets a new password but still asks for the second factor", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist");
    await signIn(c, admin);
    const page = await (await c.post(`/admin/people/${specialist.personId}/reset-link`)).text();
    const link = page.match(/https:\/\/consult\.example\.org\/link\/[A-Za-z0-9_-]{43}/)![0];
    const p = new TestClient(inst.app, ORIGIN);
    await p.get(link);
    const done = await p.post("/welcome", { password: "a brand new passphrase" });
    expect(done.headers.get("location")).toBe("/signin?reset=1");
    expect((await p.post("/signin", { email: specialist.email, password: specialist.password })).status).toBe(422);
    const r = await p.post("/signin", { email: specialist.email, password: "a brand new passphrase" });
    expect(r.headers.get("location")).toBe("/signin/two-factor");
    expect(auditActions()).toEqual(expect.arrayContaining(["password.reset-link", "password.reset"]));
  });

  test("turning two-factor off needs the password; for a specialist it means enrolling a new authenticator", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist");
    await signIn(c, specialist);
    expect((await c.post("/account/two-factor/reset", { password: "not my password" })).status).toBe(422);
    const r = await c.post("/account/two-factor/reset", { password: specialist.password });
    expect(r.headers.get("location")).toBe("/account/two-factor");
    expect((await c.get("/account")).headers.get("location")).toBe("/account/two-factor");
    expect(auditActions()).toEqual(expect.arrayContaining(["reauth.failure", "two-factor.disable"]));
  });

  test("changing the password needs the current one and signs out other sessions", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const client = await addPerson(inst, admin.personId, "client");
    const other = new TestClient(inst.app, ORIGIN);
    await signIn(c, client);
    await signIn(other, client);
    expect((await c.post("/account/password", { current: "wrong one!!", next: "new passphrase here" })).status).toBe(422);
    const weak = await c.post("/account/password", { current: client.password, next: "password123" });
    expect(await weak.text()).toContain("too common");
    const ok = await c.post("/account/password", { current: client.password, next: "new passphrase here" });
    expect(ok.status).toBe(200);
    expect((await c.get("/account")).status).toBe(200);
    expect((await other.get("/account")).headers.get("location")).toBe("/signin");
  });
});

describe("an admin resets someone's two-factor", () => {
  test("needs the admin's password, ends the person's sessions, and the person enrols anew at sign-in", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    const specialist = await addPerson(inst, admin.personId, "specialist");
    const s = new TestClient(inst.app, ORIGIN);
    await signIn(s, specialist);
    await signIn(c, admin);
    const wrong = await c.post(`/admin/people/${specialist.personId}/two-factor/reset`, { password: "not the admin's" });
    expect(wrong.status).toBe(422);
    expect((await s.get("/account")).status).toBe(200);
    const ok = await c.post(`/admin/people/${specialist.personId}/two-factor/reset`, { password: admin.password });
    expect(ok.status).toBe(200);
    expect((await s.get("/account")).headers.get("location")).toBe("/signin");
    const again = await s.post("/signin", { email: specialist.email, password: specialist.password });
    expect(again.headers.get("location")).toBe("/account/two-factor");
    expect((await c.post(`/admin/people/${admin.personId}/two-factor/reset`, { password: admin.password })).status).toBe(409); // not one's own
    expect(auditActions()).toEqual(expect.arrayContaining(["reauth.failure", "two-factor.reset-by-admin"]));
  });
});

describe("clients", () => {
  test("self-registration: the same answer whether or not the email has an account; the mail says the rest", async () => {
    const smtp = await startSmtp();
    try {
      const c = fresh({ KABINET_SMTP_URL: smtp.url });
      const admin = await setUpOrganisation(inst);
      expect((await c.get("/register")).status).toBe(404);
      const a = new TestClient(inst.app, ORIGIN);
      await signIn(a, admin);
      const settings = { name: "Test Clinic", language: "en", timeZone: "Europe/Berlin", clientTwoFactor: "optional", selfRegistration: "on", reminderHours: "24, 1", mailDetails: "minimal" };
      expect((await a.post("/admin/settings", settings)).status).toBe(200);
      expect(await (await c.get("/signin")).text()).toContain('href="/register"');
      expect((await c.post("/register", { name: "", email: "bad" })).status).toBe(422);

      // A new address and one that has an account (the admin's, typed in capitals) get the same page.
      const answer = async (email: string) => {
        const r = await new TestClient(inst.app, ORIGIN).post("/register", { name: "Мария Клиентова", email });
        return { status: r.status, text: (await r.text()).replace(/nonce="[^"]+"/g, "").replaceAll(email, "EMAIL") };
      };
      const fresh1 = await answer("maria@example.org");
      const taken = await answer(admin.email.toUpperCase());
      expect(fresh1.status).toBe(200);
      expect(fresh1.text).toContain("Check your mail");
      expect(taken).toEqual(fresh1);

      await jobWorker(inst).runDue();
      const mails = smtp.messages();
      const toMaria = mails.filter((m) => m.to.includes("maria@example.org"));
      const toAdmin = mails.filter((m) => m.to.includes(admin.email));
      expect(toMaria.length).toBe(1);
      expect(toAdmin.map((m) => m.subject)).toEqual(["Someone tried to create an account with your address — Test Clinic"]);
      expect(toAdmin[0]!.text).toContain(`${ORIGIN}/signin`);
      expect(toAdmin[0]!.text).not.toContain("/link/");
      // The link chooses the password (proving the mailbox), then the client is in.
      const link = toMaria[0]!.text.match(/https:\/\/consult\.example\.org(\/link\/[A-Za-z0-9_-]{43})/)![1]!;
      const maria = new TestClient(inst.app, ORIGIN);
      expect((await maria.get(link)).headers.get("location")).toBe("/welcome");
      expect((await maria.post("/welcome", { password: "maria passphrase 1" })).headers.get("location")).toBe("/");
      expect(await (await maria.get("/")).text()).toContain("Hello, Мария Клиентова");
      const again = await new TestClient(inst.app, ORIGIN).post("/signin", { email: "maria@example.org", password: "maria passphrase 1" });
      expect(again.headers.get("location")).toBe("/");

      // When the organisation requires two-factor for clients, the link leads to enrolment.
      await a.post("/admin/settings", { ...settings, clientTwoFactor: "required", reminderHours: "24" });
      await answer("ivan@example.org");
      await jobWorker(inst).runDue();
      const ivanLink = smtp.messages().find((m) => m.to.includes("ivan@example.org"))!.text.match(/\/link\/[A-Za-z0-9_-]{43}/)![0];
      const ivan = new TestClient(inst.app, ORIGIN);
      await ivan.get(ivanLink);
      expect((await ivan.post("/welcome", { password: "ivan passphrase 1" })).headers.get("location")).toBe("/account/two-factor");

      // Every registration attempt counts against the address: 10 an hour.
      for (let i = 0; i < 7; i++) await answer(`bot${i}@example.org`);
      const throttled = await new TestClient(inst.app, ORIGIN).post("/register", { name: "Late", email: "late@example.org" });
      expect(throttled.status).toBe(429);
      expect(await throttled.text()).toContain("Too many attempts");
      expect(auditActions()).toEqual(expect.arrayContaining(["settings.change", "client.register", "client.register-existing", "invitation.accept"]));
    } finally {
      await smtp.stop();
    }
  });
});

describe("audit page", () => {
  test("lists entries with filters and shows that the chain verifies", async () => {
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    await c.post("/signin", { email: admin.email, password: "wrong password!" });
    await signIn(c, admin);
    const page = await (await c.get("/admin/audit")).text();
    expect(page).toMatch(/Chain verified: \d+ entries, nothing altered\./);
    const filtered = await (await c.get("/admin/audit?action=signin.failure")).text();
    expect(filtered).toContain("signin.failure");
    expect(filtered).not.toContain("setup.complete");
    expect(await (await c.get("/admin/audit?from=2001-01-01&to=2001-01-02")).text()).toContain("No entries match these filters.");
    expect((await c.get("/admin/audit?from=garbage&actor=%27%3B--")).status).toBe(200);
  });
});

describe("housekeeping", () => {
  test("ended sessions and stale failure windows are removed; live ones stay", async () => {
    const { housekeeping } = await import("../src/server.ts");
    const c = fresh();
    const admin = await setUpOrganisation(inst);
    await signIn(c, admin);
    await new TestClient(inst.app, ORIGIN).post("/signin", { email: "x@example.org", password: "wrong password" });
    const count = (table: string) => (inst.db.$client.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const liveSessions = count("sessions");
    housekeeping(inst);
    expect(count("sessions")).toBe(liveSessions);
    expect(count("sign_in_failures")).toBeGreaterThan(0);
    inst.clock.advance(13 * 3600_000); // past the 12-hour session limit and the 15-minute failure window
    housekeeping(inst);
    expect(count("sessions")).toBe(0);
    expect(count("sign_in_failures")).toBe(0);
  });
});

describe("client address behind a proxy", () => {
  const twentyFailuresThenTry = async (c: TestClient, lastFrom: string) => {
    for (let i = 0; i < 20; i++) await c.post("/signin", { email: `u${i}@example.org`, password: "wrong password" }, { "x-forwarded-for": "203.0.113.7" });
    return (await c.post("/signin", { email: "fresh@example.org", password: "wrong password" }, { "x-forwarded-for": lastFrom })).status;
  };

  test("with KABINET_TRUST_PROXY=true the proxy's X-Forwarded-For entry is the address", async () => {
    const c = fresh({ KABINET_TRUST_PROXY: "true" });
    await setUpOrganisation(inst);
    expect(await twentyFailuresThenTry(c, "198.51.100.9")).toBe(422); // another address: not throttled
    // a client cannot dodge by prepending entries: the last one (added by the proxy) counts
    expect((await c.post("/signin", { email: "y@example.org", password: "wrong password" }, { "x-forwarded-for": "1.2.3.4, 203.0.113.7" })).status).toBe(429);
  });

  test("an IPv6 client is counted by its /64: hopping addresses inside it does not reset the count", async () => {
    const c = fresh({ KABINET_TRUST_PROXY: "true" });
    await setUpOrganisation(inst);
    for (let i = 0; i < 20; i++) await c.post("/signin", { email: `u${i}@example.org`, password: "wrong password" }, { "x-forwarded-for": `2001:db8:7:7::${(i + 1).toString(16)}` });
    const from = async (address: string) => (await c.post("/signin", { email: "fresh@example.org", password: "wrong password" }, { "x-forwarded-for": address })).status;
    expect(await from("2001:db8:7:7:abcd:1234:5678:9abc")).toBe(429);
    expect(await from("2001:db8:7:8::1")).toBe(422); // the next /64 is someone else
  });

  test("without it, X-Forwarded-For is ignored (it could be forged)", async () => {
    const c = fresh();
    await setUpOrganisation(inst);
    expect(await twentyFailuresThenTry(c, "198.51.100.9")).toBe(429);
  });
});
