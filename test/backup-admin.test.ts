// The admin page /admin/backups: admins only, shows the schedule, the backups and what the last backup and drill
// did; its buttons start a backup (audited with the admin as actor) and a restore drill whose result then shows.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createBackup } from "../src/backup/backup.ts";
import { runDrill } from "../src/backup/drill.ts";
import { readBackupStatus } from "../src/backup/status.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;

beforeAll(async () => {
  inst = makeInstallation({ KABINET_BACKUP_EVERY_HOURS: "12", KABINET_BACKUP_KEEP: "7d,4w,12m", KABINET_RESTORE_DRILL_EVERY_DAYS: "7" });
  admin = await setUpOrganisation(inst);
});
afterAll(() => inst.close());

test("a GET shows the schedule and changes nothing; only admins reach the page", async () => {
  const r = await signedInClient(inst, admin).get("/admin/backups");
  expect(r.status).toBe(200);
  const html = await r.text();
  expect(html).toContain("A backup every 12 hours");
  expect(html).toContain("Keeps the newest backup of each of the last 7 days, 4 weeks and 12 months");
  expect(html).toContain("A restore drill every 7 days");
  expect(html).toContain("There are no backups in the folder yet.");
  expect(html).toContain('href="/admin" aria-current="page"'); // the admin's navigation: Administration…
  expect(await (await signedInClient(inst, admin).get("/admin")).text()).toContain('href="/admin/backups"'); // …which lists Backups
  expect(readBackupStatus(inst.config.backup.dir).lastBackup).toBeNull();
  const specialist = await addPerson(inst, admin.personId, "specialist");
  expect((await signedInClient(inst, specialist).get("/admin/backups")).status).toBe(403);
  const ru = await signedInClient(inst, admin).get("/admin/backups", { "accept-language": "ru" });
  expect(await ru.text()).toContain("Копия каждые 12 часов");
});

test("'Back up now' makes a backup audited with the admin as actor; 'Run a restore drill now' records and shows its result", async () => {
  const browser = signedInClient(inst, admin);
  const started = await browser.post("/admin/backups/now", {});
  expect(started.status).toBe(200);
  expect(await started.text()).toContain("The backup has started.");
  const outcome = await createBackup(inst, "cli"); // joins the one the button started
  expect(outcome.ok).toBe(true);
  const audit = inst.db.$client.query("SELECT actor FROM audit_log WHERE action = 'backup.create'").all();
  expect(audit).toEqual([{ actor: admin.personId }]);

  const drillStarted = await browser.post("/admin/backups/drill", {});
  expect(await drillStarted.text()).toContain("The restore drill has started.");
  const drill = await runDrill(inst); // joins the one the button started
  expect(drill.ok).toBe(true);
  expect(inst.db.$client.query("SELECT actor FROM audit_log WHERE action = 'backup.drill'").all()).toEqual([{ actor: admin.personId }]);

  const html = await (await browser.get("/admin/backups")).text();
  expect(html).toContain(outcome.ok ? outcome.run.file : "");
  expect(html).toMatch(/Passed at [^<]*: kabinet-[^<]*\.kbk restored, integrity and audit chain verified, \d+ rows/);
  expect(html).toContain("Rows per table in the restored copy");
});

test("a failed drill shows as a problem on the page", async () => {
  const { writeFileSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const file = join(inst.config.backup.dir, readBackupStatus(inst.config.backup.dir).lastBackup!.file);
  writeFileSync(file, readFileSync(file).subarray(0, 100));
  expect((await runDrill(inst)).ok).toBe(false);
  const html = await (await signedInClient(inst, admin).get("/admin/backups")).text();
  expect(html).toMatch(/<p role="alert" class="kb-alert">Failed at [^<]*\(kabinet-[^)]*\.kbk\): [^<]*does not open: it is cut short/);
});
