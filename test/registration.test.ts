// Self-registration with a code mailed through a real SMTP server (aiosmtpd): the code proves the address, the
// password is chosen after it, the organisation's two-factor policy applies, and the visitor lands back on the page
// that sent them (a booking they picked). An address with an account gets the same answer and its owner a note.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { currentTOTP } from "../src/accounts/totp.ts";
import { RETURN_COOKIE } from "../src/http/access.ts";
import { jobWorker } from "../src/worker.ts";
import { setUpOrganisation, type TestPerson } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

const ORIGIN = "https://consult.example.org";
const BOOKING = "/book/svc-1/confirm?start=1767250800000&specialist=abc&tz=Europe%2FMoscow";
let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp.stop();
});
afterEach(() => inst?.close());

async function open(settings: { clientTwoFactor?: "optional" | "required" } = {}): Promise<void> {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: smtp.url });
  admin = await setUpOrganisation(inst, { selfRegistration: true, ...settings });
}

const auditActions = () => (inst.db.$client.query("SELECT action FROM audit_log ORDER BY id").all() as { action: string }[]).map((r) => r.action);
const mailsTo = (email: string) => smtp.messages().filter((m) => m.to.includes(email));
/** The newest registration code mailed to this address. */
async function codeFor(email: string): Promise<string> {
  await jobWorker(inst).runDue();
  const mail = mailsTo(email).filter((m) => m.subject.startsWith("Your code to create an account")).at(-1)!;
  expect(mail.text).toContain("It works once, for 10 minutes.");
  return mail.subject.match(/(\d{6})/)![1]!;
}
const comparable = async (r: Response, email: string) => ({ status: r.status, text: (await r.text()).replace(/nonce="[^"]+"/g, "").replaceAll(email, "EMAIL") });

test("a client registers with the code from the mail, chooses a password and lands back on the booking they picked", async () => {
  await open();
  const c = new TestClient(inst.app, ORIGIN);
  expect(await (await c.get("/signin")).text()).toContain('href="/register"');
  const form = await c.get(`/register?return=${encodeURIComponent(BOOKING)}`);
  expect(form.status).toBe(200);
  expect(decodeURIComponent(c.cookies.get(RETURN_COOKIE)!)).toBe(BOOKING);
  expect(await form.text()).not.toContain('name="consent"'); // the organisation does not ask for consent

  const bad = await c.post("/register", { name: "", email: "bad" });
  expect(bad.status).toBe(422);
  expect(await bad.text()).toContain("Enter an email address like name@example.org.");

  const sent = await c.post("/register", { name: "Мария Клиентова", email: "Maria@Example.org" });
  expect(sent.status).toBe(200);
  const page = await sent.text();
  expect(page).toContain("Enter the code from your email");
  // The phone offers its number pad and the code from the mail.
  expect(page).toMatch(/<input id="f-code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric"[^>]* pattern="\[0-9\]\*"/);

  const code = await codeFor("maria@example.org");
  const wrong = await c.post("/register/code", { email: "maria@example.org", name: "Мария Клиентова", code: code === "000000" ? "111111" : "000000" });
  expect(wrong.status).toBe(422);
  expect(await wrong.text()).toContain("This code is not right, or it has expired.");
  const right = await c.post("/register/code", { email: "maria@example.org", name: "Мария Клиентова", code: code.replace(/^(\d{3})/, "$1 ") });
  expect(right.headers.get("location")).toBe("/welcome");
  expect((await new TestClient(inst.app, ORIGIN).post("/register/code", { email: "maria@example.org", code })).status).toBe(422); // once

  expect(await (await c.get("/welcome")).text()).toContain("Hello, Мария Клиентова. Choose a password");
  expect((await c.post("/welcome", { password: "short" })).status).toBe(422);
  const done = await c.post("/welcome", { password: "maria's own passphrase" });
  expect(done.headers.get("location")).toBe("/");
  expect((await c.get("/")).headers.get("location")).toBe(BOOKING); // back to the booking, once
  expect(await (await c.get("/")).text()).toContain("Hello, Мария Клиентова");

  const again = new TestClient(inst.app, ORIGIN);
  expect((await again.post("/signin", { email: "maria@example.org", password: "maria's own passphrase" })).headers.get("location")).toBe("/");
  expect(auditActions()).toEqual(expect.arrayContaining(["client.register", "email-code.send", "client.register-code-failure", "client.register-verified", "invitation.accept"]));
  expect(inst.logs.some((l) => l.includes(code) || l.toLowerCase().includes("maria@example.org"))).toBe(false);
});

test("an address with an account gets the same answer; its owner a note at most once an hour; no code opens it", async () => {
  await open();
  const register = async (email: string) => comparable(await new TestClient(inst.app, ORIGIN).post("/register", { name: "Someone", email }), email);
  const before = smtp.messages().length;
  const fresh = await register("newcomer@example.org");
  const taken = await register(admin.email.toUpperCase());
  expect(taken).toEqual(fresh);
  expect(fresh.text).toContain("If this address already has an account, we sent it a note");
  await register(admin.email);
  await jobWorker(inst).runDue();
  const toAdmin = smtp.messages().slice(before).filter((m) => m.to.includes(admin.email));
  expect(toAdmin.map((m) => m.subject)).toEqual(["Someone tried to create an account with your address — Test Clinic"]);
  expect(toAdmin[0]!.text).toContain(`${ORIGIN}/signin`);
  expect(toAdmin[0]!.text).not.toMatch(/\d{6}/);

  // A guessed code for the existing account and for an unknown address: the same refusal.
  const guess = async (email: string) => comparable(await new TestClient(inst.app, ORIGIN).post("/register/code", { email, name: "Someone", code: "123456" }), email);
  const forAdmin = await guess(admin.email);
  expect(forAdmin.status).toBe(422);
  expect(await guess("nobody@example.org")).toEqual(forAdmin);
  expect(auditActions()).toContain("client.register-existing");
});

test("where clients must use two-factor, the new client sets it up right after choosing the password, then goes back", async () => {
  await open({ clientTwoFactor: "required" });
  const c = new TestClient(inst.app, ORIGIN);
  await c.get(`/register?return=${encodeURIComponent(BOOKING)}`);
  await c.post("/register", { name: "Ivan", email: "ivan@example.org" });
  await c.post("/register/code", { email: "ivan@example.org", code: await codeFor("ivan@example.org") });
  expect((await c.post("/welcome", { password: "ivan's own passphrase" })).headers.get("location")).toBe("/account/two-factor");
  expect((await c.get("/appointments")).headers.get("location")).toBe("/account/two-factor"); // nothing signed-in before enrolment
  expect(decodeURIComponent(c.cookies.get(RETURN_COOKIE)!)).toBe(BOOKING); // still waiting for the way back
  const secret = (await (await c.get("/account/two-factor")).text()).match(/data-testid="totp-secret">([A-Z2-7]+)</)![1]!;
  const codes = await c.post("/account/two-factor", { code: currentTOTP(secret) });
  expect(await codes.text()).toContain('href="/"'); // "I have saved my codes"
  expect((await c.get("/")).headers.get("location")).toBe(BOOKING);
});

test("codes: a new one at most once a minute; wrong ones are throttled per address; registering per client address", async () => {
  await open();
  const c = new TestClient(inst.app, ORIGIN);
  await c.post("/register", { name: "Olga", email: "olga@example.org" });
  const first = await codeFor("olga@example.org");
  const resent = await c.post("/register", { name: "Olga", email: "olga@example.org", resend: "1" });
  expect(await resent.text()).toContain("a new code is on its way");
  await jobWorker(inst).runDue();
  expect(mailsTo("olga@example.org")).toHaveLength(1); // within the minute: the first code stays the one
  inst.clock.advance(61_000);
  await c.post("/register", { name: "Olga", email: "olga@example.org", resend: "1" });
  const second = await codeFor("olga@example.org");
  expect(mailsTo("olga@example.org")).toHaveLength(2);
  if (second !== first) expect((await c.post("/register/code", { email: "olga@example.org", code: first })).status).toBe(422); // replaced

  // Five wrong codes for an address, then even the right one waits.
  for (let i = 0; i < 5; i++) await new TestClient(inst.app, ORIGIN).post("/register/code", { email: "olga@example.org", code: second === "999999" ? "999998" : "999999" });
  const refused = await c.post("/register/code", { email: "olga@example.org", code: second });
  expect(refused.status).toBe(429);
  expect(await refused.text()).toContain("Too many attempts.");

  // Every registration counts against the client address: 10 an hour (3 above).
  for (let i = 0; i < 7; i++) expect((await c.post("/register", { name: "Bot", email: `bot${i}@example.org` })).status).toBe(200);
  expect((await c.post("/register", { name: "Late", email: "late@example.org" })).status).toBe(429);
});

test("a code is void after three wrong guesses: even the right one then fails, and a new code works", async () => {
  await open();
  const c = new TestClient(inst.app, ORIGIN);
  await c.post("/register", { name: "Pyotr", email: "pyotr@example.org" });
  const code = await codeFor("pyotr@example.org");
  const wrong = code === "555555" ? "555556" : "555555";
  for (let i = 0; i < 3; i++) expect((await c.post("/register/code", { email: "pyotr@example.org", code: wrong })).status).toBe(422);
  expect((await c.post("/register/code", { email: "pyotr@example.org", code })).status).toBe(422);
  inst.clock.advance(61_000);
  await c.post("/register", { name: "Pyotr", email: "pyotr@example.org", resend: "1" });
  const fresh = await codeFor("pyotr@example.org");
  const accepted = await c.post("/register/code", { email: "pyotr@example.org", code: fresh });
  expect(accepted.status).toBe(303);
});

test("registration is closed when the organisation turned it off (and without mail: registration-limits.test.ts)", async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: smtp.url });
  await setUpOrganisation(inst, { selfRegistration: false });
  const c = new TestClient(inst.app, ORIGIN);
  expect((await c.get("/register")).status).toBe(404);
  expect((await c.post("/register", { name: "Maria", email: "maria@example.org" })).status).toBe(404);
  expect((await c.post("/register/code", { email: "maria@example.org", code: "123456" })).status).toBe(404);
  expect(await (await c.get("/signin")).text()).not.toContain('href="/register"');
});

test("/signin?return= brings a client back after the second factor; a return to another site is ignored", async () => {
  await open();
  const c = new TestClient(inst.app, ORIGIN);
  await c.get(`/signin?return=${encodeURIComponent(BOOKING)}`);
  expect((await c.post("/signin", { email: admin.email, password: admin.password })).headers.get("location")).toBe("/signin/two-factor");
  expect((await c.post("/signin/two-factor", { code: currentTOTP(admin.totpSecret!) })).headers.get("location")).toBe("/");
  expect((await c.get("/")).headers.get("location")).toBe(BOOKING);

  for (const evil of ["//evil.example/x", "https://evil.example/", "/\\evil.example"]) {
    const d = new TestClient(inst.app, ORIGIN);
    await d.get(`/signin?return=${encodeURIComponent(evil)}`);
    await d.get(`/register?return=${encodeURIComponent(evil)}`);
    expect(d.cookies.has(RETURN_COOKIE)).toBe(false);
  }
});
