// Extending a request's deadline through the real app: once, before it passes, within the law's limit (152-FZ five
// working days, GDPR two further months), audited with the original deadline, shown as "extended" in the queue, and
// the client mailed the new date and the reason (a real SMTP server on loopback); the reason is in no audit entry.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { fileRequest, type NewRequest } from "../src/privacy/requests.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

const NOW = Date.parse("2026-12-03T09:00:00Z"); // a Thursday; 12:00 in Moscow, the organisation's zone
const REASON = "Canary-Veles: the paper archive is being searched";
let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let staff: TestPerson;

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_SMTP_URL: smtp.url, KABINET_MAIL_FROM: "Test Clinic <consult@example.org>" });
  inst.clock.set(NOW);
  admin = await setUpOrganisation(inst);
  staff = await addPerson(inst, admin.personId, "staff");
  await jobWorker(inst).runDue(); // the invitations
}, 60_000);
afterAll(async () => {
  await smtp.stop();
  inst.close();
});

async function requestOf(r: Omit<NewRequest, "personId" | "channel">): Promise<{ client: TestPerson; id: string }> {
  const client = await addPerson(inst, admin.personId, "client", { name: "Clara Client" });
  const filed = fileRequest(inst, { ...r, personId: client.personId, channel: "email" }, staff.personId);
  if (!filed.ok) throw new Error(filed.reason);
  return { client, id: filed.request.id };
}
const dueDayOf = (id: string) => {
  const { due_at } = inst.db.$client.query("SELECT due_at FROM privacy_requests WHERE id = ?").get(id) as { due_at: number };
  return Temporal.Instant.fromEpochMilliseconds(due_at - 1).toZonedDateTimeISO("Europe/Moscow").toPlainDate().toString();
};
const extendAudit = () => inst.db.$client.query("SELECT actor, target, details FROM audit_log WHERE action = 'privacy-request.extend' ORDER BY id").all() as { actor: string; target: string; details: string }[];

test("152-FZ: extended once by at most five working days, audited with the original deadline, the client mailed why", async () => {
  const { client, id } = await requestOf({ kind: "access", law: "152-fz", receivedAt: NOW }); // due Thursday 17 December
  const as = signedInClient(inst, staff);
  const queue = await (await as.get("/admin/privacy/requests")).text();
  expect(queue).toContain(`action="/admin/privacy/requests/${id}/extend"`);
  expect(queue).toContain("The law allows at most until December 24, 2026.");

  const url = `/admin/privacy/requests/${id}/extend`;
  const noReason = await as.post(url, { until: "2026-12-24", reason: " " });
  expect(noReason.status).toBe(422);
  expect(await noReason.text()).toContain("Say why more time is needed: the client is owed the reason.");
  const tooFar = await as.post(url, { until: "2026-12-25", reason: REASON });
  expect(tooFar.status).toBe(422);
  expect(await tooFar.text()).toContain("The law allows an extension until December 24, 2026 at most.");
  const notLater = await as.post(url, { until: "2026-12-17", reason: REASON });
  expect(notLater.status).toBe(422);
  expect(await notLater.text()).toContain("Choose a day after the current deadline.");
  expect((await as.post(url, { until: "24.12.2026", reason: REASON })).status).toBe(422);
  expect(dueDayOf(id)).toBe("2026-12-17");

  const before = smtp.messages().length;
  const ok = await as.post(url, { until: "2026-12-24", reason: REASON });
  expect(ok.status).toBe(303);
  const page = await (await as.follow(ok)).text();
  expect(page).toContain("The deadline is extended and the client is told why.");
  expect(page).toMatch(new RegExp(`data-request="${id}"[^]*?December 24, 2026 \\(extended\\)`));
  expect(page).not.toContain(`action="${url}"`);
  expect(dueDayOf(id)).toBe("2026-12-24");
  const originalDueAt = Date.parse("2026-12-17T21:00:00Z"); // the end of 17 December in Moscow
  expect(extendAudit().at(-1)).toEqual({
    actor: staff.personId,
    target: client.personId,
    details: JSON.stringify({ request: id, kind: "access", law: "152-fz", originalDueAt, dueAt: Date.parse("2026-12-24T21:00:00Z") }),
  });
  const again = await as.post(url, { until: "2026-12-24", reason: REASON });
  expect(again.status).toBe(409);
  expect(await again.text()).toContain("This request&#39;s deadline was already extended once.");

  expect(await (await signedInClient(inst, client).get("/account/privacy")).text()).toContain("A copy of my data · Open · answer due by December 24, 2026 (extended)");
  await jobWorker(inst).runDue();
  const mail = smtp.messages().slice(before).find((m) => m.to.includes(client.email))!;
  expect(mail.subject).toContain("Our answer to your request will take longer");
  expect(mail.text).toContain('We need more time to answer your request "A copy of my data". We will answer by December 24, 2026.');
  expect(mail.text).toContain(REASON);
  expect(mail.text).toContain("https://consult.example.org/account/privacy");
  // The reason is the person's business: only in the mail (sealed in the queue), never in the audit log.
  expect(JSON.stringify(inst.db.$client.query("SELECT details FROM audit_log").all())).not.toContain("Canary-Veles");
});

test("GDPR: up to two further months; an overdue or closed request is not extended", async () => {
  const { id } = await requestOf({ kind: "portability", law: "gdpr", receivedAt: NOW }); // due 3 January 2027
  const as = signedInClient(inst, admin);
  const tooFar = await as.post(`/admin/privacy/requests/${id}/extend`, { until: "2027-03-04", reason: REASON });
  expect(tooFar.status).toBe(422);
  expect(await tooFar.text()).toContain("until March 3, 2027 at most");
  expect((await as.post(`/admin/privacy/requests/${id}/extend`, { until: "2027-03-03", reason: REASON })).status).toBe(303);
  expect(dueDayOf(id)).toBe("2027-03-03");

  const late = await requestOf({ kind: "erasure", law: "152-fz", receivedAt: Date.parse("2026-11-17T08:00:00Z") }); // due 1 December
  const overdue = await as.post(`/admin/privacy/requests/${late.id}/extend`, { until: "2026-12-08", reason: REASON });
  expect(overdue.status).toBe(409);
  expect(await overdue.text()).toContain("The deadline has passed: an extension must be decided and sent before it.");

  const done = await requestOf({ kind: "access", law: "gdpr", receivedAt: NOW });
  expect((await as.post(`/admin/privacy/requests/${done.id}/close`, { status: "done", outcome: "Sent" })).status).toBe(303);
  expect((await as.post(`/admin/privacy/requests/${done.id}/extend`, { until: "2027-01-10", reason: REASON })).status).toBe(409);
  expect((await as.post("/admin/privacy/requests/no-such/extend", { until: "2027-01-10", reason: REASON })).status).toBe(404);
});

test("152-FZ: a correction's seven working days and a withdrawal's thirty days have no extension", async () => {
  const correction = await requestOf({ kind: "rectification", law: "152-fz", receivedAt: NOW });
  const withdrawal = await requestOf({ kind: "objection", law: "152-fz", receivedAt: NOW, cause: "consent-withdrawal" });
  const objection = await requestOf({ kind: "objection", law: "152-fz", receivedAt: NOW });
  const as = signedInClient(inst, staff);
  const queue = await (await as.get("/admin/privacy/requests")).text();
  expect(queue).not.toContain(`/admin/privacy/requests/${correction.id}/extend`);
  expect(queue).not.toContain(`/admin/privacy/requests/${withdrawal.id}/extend`);
  expect(queue).toContain(`/admin/privacy/requests/${objection.id}/extend`); // an objection of its own: ten working days
  for (const { id } of [correction, withdrawal]) {
    const r = await as.post(`/admin/privacy/requests/${id}/extend`, { until: "2026-12-18", reason: REASON });
    expect(r.status).toBe(409);
    expect(await r.text()).toContain("152-FZ allows no extension of this deadline");
  }
  expect(dueDayOf(correction.id)).toBe("2026-12-14");
  expect(dueDayOf(withdrawal.id)).toBe("2027-01-02");
});
