// "Forgot your password?" through the real app and a real SMTP server (aiosmtpd): the same answer for every address,
// a mail only to an account's owner, a link that works once and soon expires, the second factor still asked after,
// other sessions ended, throttling per address and per client, and no reset at all without mail.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { currentTOTP } from "../src/accounts/totp.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

const ORIGIN = "https://consult.example.org";
const LINK = /https:\/\/consult\.example\.org(\/link\/[A-Za-z0-9_-]{43})/;
let smtp: SmtpServer;
let inst: TestInstallation;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(async () => {
  await smtp.stop();
});
afterEach(() => inst?.close());

const fresh = () => (inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: smtp.url }));
const auditActions = () => (inst.db.$client.query("SELECT action FROM audit_log ORDER BY id").all() as { action: string }[]).map((r) => r.action);
const mailsTo = (email: string) => smtp.messages().filter((m) => m.to.includes(email));
/** The page as anyone would compare it: without the per-response nonce and the address typed. */
const answer = async (r: Response, email: string) => ({ status: r.status, text: (await r.text()).replace(/nonce="[^"]+"/g, "").replaceAll(email, "EMAIL") });

test("a known and an unknown address get the same answer; only the owner gets a link, which works once; two-factor is still asked", async () => {
  fresh();
  const admin = await setUpOrganisation(inst);
  const spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Sofia Berg" });
  await jobWorker(inst).runDue(); // the invitation
  const elsewhere = signedInClient(inst, spec); // a session on another device, which the reset must end

  const c = new TestClient(inst.app, ORIGIN);
  const signin = await (await c.get("/signin")).text();
  expect(signin).toContain('href="/reset-password"');
  expect(signin).toContain("Forgot your password?");
  expect(await (await c.get("/reset-password")).text()).toContain("We will send a link");
  expect((await c.post("/reset-password", { email: "not an address" })).status).toBe(422);

  const before = smtp.messages().length;
  const known = await answer(await c.post("/reset-password", { email: spec.email.toUpperCase() }), spec.email.toUpperCase());
  const unknown = await answer(await new TestClient(inst.app, ORIGIN).post("/reset-password", { email: "nobody@example.org" }), "nobody@example.org");
  expect(known.status).toBe(200);
  expect(known.text).toContain("If an account exists for this address, we sent a link");
  expect(unknown).toEqual(known);

  await jobWorker(inst).runDue();
  const sent = smtp.messages().slice(before);
  expect(sent.map((m) => m.to)).toEqual([spec.email]); // nothing for the unknown address
  expect(sent[0]!.subject).toBe("Set a new password — Test Clinic");
  expect(sent[0]!.text).toContain("for 1 hour.");
  const link = sent[0]!.text.match(LINK)![1]!;
  const token = link.split("/")[2]!;
  expect(inst.logs.some((l) => l.includes(token))).toBe(false); // never in the log

  // The link: the token leaves the address bar, a weak password is refused, a good one is set once.
  const p = new TestClient(inst.app, ORIGIN);
  expect((await p.get(link)).headers.get("location")).toBe("/welcome");
  expect(await (await p.get("/welcome")).text()).toContain("Hello, Dr Sofia Berg");
  const weak = await p.post("/welcome", { password: "password123" });
  expect(weak.status).toBe(422);
  expect(await weak.text()).toContain("too common");
  const done = await p.post("/welcome", { password: "sofia's new passphrase" });
  expect(done.headers.get("location")).toBe("/signin?reset=1");
  expect((await new TestClient(inst.app, ORIGIN).get(link)).status).toBe(410); // used once
  expect(inst.logs.some((l) => l.includes(token))).toBe(false);

  // Every other session ended; the old password is dead; the new one leads to the second factor, not in.
  expect((await elsewhere.get("/account")).headers.get("location")).toBe("/signin");
  expect((await p.post("/signin", { email: spec.email, password: spec.password })).status).toBe(422);
  const signedIn = await p.post("/signin", { email: spec.email, password: "sofia's new passphrase" });
  expect(signedIn.headers.get("location")).toBe("/signin/two-factor");
  expect((await p.get("/account")).headers.get("location")).toBe("/signin/two-factor");
  expect((await p.post("/signin/two-factor", { code: currentTOTP(spec.totpSecret!) })).headers.get("location")).toBe("/");
  expect((await p.get("/account")).status).toBe(200);

  expect(auditActions().filter((a) => a.startsWith("password."))).toEqual(["password.reset-request", "password.reset-request", "password.reset"]);
});

test("the link expires after an hour, and a newer link voids the older one", async () => {
  fresh();
  const admin = await setUpOrganisation(inst);
  const client = await addPerson(inst, admin.personId, "client", { name: "Maria Client" });
  const before = mailsTo(client.email).length;
  const c = new TestClient(inst.app, ORIGIN);
  await c.post("/reset-password", { email: client.email }, { "x-forwarded-for": "198.51.100.7" });
  await c.post("/reset-password", { email: client.email });
  await jobWorker(inst).runDue();
  const [first, second] = mailsTo(client.email).slice(before).map((m) => m.text.match(LINK)![1]!);
  expect((await c.get(first!)).status).toBe(410); // replaced by the second
  inst.clock.advance(61 * 60_000);
  expect((await c.get(second!)).status).toBe(410); // expired
});

test("requests are throttled per address asked about and per client address, known or unknown alike", async () => {
  fresh();
  const admin = await setUpOrganisation(inst);
  const client = await addPerson(inst, admin.personId, "client");
  const ask = (email: string) => new TestClient(inst.app, ORIGIN).post("/reset-password", { email });
  for (const email of [client.email, "nobody@example.org"]) {
    for (let i = 0; i < 3; i++) expect((await ask(email)).status).toBe(200);
    const refused = await ask(email);
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain("Too many attempts. Try again in 60 minutes.");
  }
  await jobWorker(inst).runDue();
  expect(mailsTo(client.email).filter((m) => m.subject.startsWith("Set a new password"))).toHaveLength(3); // no fourth mail
  // The same client address across many addresses: 10 an hour (6 counted above).
  for (let i = 0; i < 4; i++) expect((await ask(`other${i}@example.org`)).status).toBe(200);
  expect((await ask("one-more@example.org")).status).toBe(429);
  inst.clock.advance(61 * 60_000);
  expect((await ask(client.email)).status).toBe(200);
});

test("without a mail server there is no reset by mail: the sign-in page says to ask the organisation", async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN });
  await setUpOrganisation(inst);
  const c = new TestClient(inst.app, ORIGIN);
  const page = await (await c.get("/signin")).text();
  expect(page).not.toContain('href="/reset-password"');
  expect(page).toContain("Ask your organisation&#39;s administrator for a reset link.");
  expect((await c.get("/reset-password")).status).toBe(404);
  expect((await c.post("/reset-password", { email: "someone@example.org" })).status).toBe(404);
});
