// Mail about new security alerts, delivered to a real SMTP server (aiosmtpd on loopback): one mail per active admin,
// in each admin's language, naming the rule and the time and linking to the alerts page, and nobody else; none while
// the setting is off.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { setAccountActive } from "../src/accounts/people-admin.ts";
import { scanAuditForAnomalies } from "../src/anomalies/anomalies.ts";
import { setPersonPreferences } from "../src/people/people.ts";
import { getSettings } from "../src/settings/settings.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let owl: TestPerson;
let gone: TestPerson;
let staff: TestPerson;
const ZONE = "Europe/Moscow";

/** Scans to the end of the log in one call (the server scans in slices; see "the scan" tests). */
const scanAll = () => scanAuditForAnomalies(inst, { sliceMs: Infinity });

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_SMTP_URL: smtp.url, KABINET_MAIL_FROM: "Test Clinic <consult@example.org>" });
  admin = await setUpOrganisation(inst);
  owl = await addPerson(inst, admin.personId, "admin", { name: "Olga Owl" });
  setPersonPreferences(inst.db, owl.personId, { locale: "ru" });
  gone = await addPerson(inst, admin.personId, "admin", { name: "Gone Admin" });
  expect(setAccountActive(inst, gone.personId, false, admin.personId)).toBe("ok");
  staff = await addPerson(inst, admin.personId, "staff");
  scanAll(); // setup's own entries, whenever this runs, are behind the cursor
  await jobWorker(inst).runDue(); // the invitations
});
afterAll(async () => {
  await smtp.stop();
  inst.close();
});

/** Today at this wall-clock time in the organisation's zone. */
const today = (time: string) => Temporal.Now.plainDateISO(ZONE).toZonedDateTime({ timeZone: ZONE, plainTime: time }).epochMilliseconds;

/** The settings form as saved, with the alert mail switched as asked. */
function form(mail: boolean): Record<string, string> {
  const s = getSettings(inst.db)!;
  const f: Record<string, string> = { name: s.name, language: s.language, timeZone: s.timeZone, clientTwoFactor: s.clientTwoFactor, reminderHours: s.reminderHours.join(","), mailDetails: s.mailDetails, address: s.address, mailSpecialists: "on", hoursFrom: "06:00", hoursTo: "23:59" };
  for (let d = 1; d <= 7; d++) f[`hoursDay${d}`] = "on"; // every day, so that only the scripted actions below are off-hours
  if (mail) f.securityAlertMail = "on";
  return f;
}

/** An admin action at this time today, organisation time: saving the settings (keeping the mail switch as it is). */
async function adminActionAt(time: string): Promise<void> {
  inst.clock.set(today(time));
  try {
    expect((await signedInClient(inst, admin).post("/admin/settings", form(getSettings(inst.db)!.securityAlertMail === true))).status).toBe(200);
  } finally {
    inst.clock.release();
  }
}

test("with the setting on, each new alert is mailed to every active admin in their language, and to nobody else", async () => {
  inst.clock.set(today("12:00"));
  expect((await signedInClient(inst, admin).post("/admin/settings", form(true))).status).toBe(200);
  inst.clock.release();
  expect(getSettings(inst.db)!.securityAlertMail).toBe(true);
  const before = smtp.messages().length;

  await adminActionAt("23:59:30"); // outside 06:00–23:59
  expect(scanAll().raised).toBe(1);
  await jobWorker(inst).runDue();

  const mails = smtp.messages().slice(before);
  expect(mails.map((m) => m.to).sort()).toEqual([admin.email, owl.email].sort());
  const en = mails.find((m) => m.to.includes(admin.email))!;
  expect(en.subject).toBe("Security alert: An administrator acted outside working hours — Test Clinic");
  expect(en.text).toContain("https://consult.example.org/admin/alerts");
  expect(en.text).toMatch(/When: .*11:59/);
  const ru = mails.find((m) => m.to.includes(owl.email))!;
  expect(ru.subject).toBe("Оповещение безопасности: Администратор действовал вне рабочих часов — Test Clinic");
  expect(ru.text).toContain("https://consult.example.org/admin/alerts");
  // The mail leaves the appliance: it names no one (the alerts page, behind sign-in, does).
  for (const m of mails) {
    expect(m.text).not.toContain("Ada Admin made");
    expect(m.text).not.toContain(admin.personId);
  }
  expect(mails.some((m) => m.to.includes(gone.email) || m.to.includes(staff.email))).toBe(false);
});

test("with the setting off, alerts are raised but nobody is mailed", async () => {
  inst.clock.set(today("12:00"));
  expect((await signedInClient(inst, admin).post("/admin/settings", form(false))).status).toBe(200);
  inst.clock.release();
  const before = smtp.messages().length;
  await adminActionAt("05:00"); // outside 06:00–23:59, and hours from the other test's alert
  expect(scanAll().raised).toBe(1);
  await jobWorker(inst).runDue();
  expect(smtp.messages().slice(before)).toEqual([]);
});
