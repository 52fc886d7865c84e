// The organisation's answer to "may a browser that cannot encrypt end to end join unencrypted?": off until an admin
// turns it on through the settings form, audited when changed, refused to anyone else, and never switched on (or
// crashed) by a value the form does not send.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { searchAudit } from "../src/audit/audit.ts";
import { allowsUnencryptedCalls } from "../src/settings/settings.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let others: TestPerson[];

beforeAll(async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org" });
  admin = await setUpOrganisation(inst);
  others = [await addPerson(inst, admin.personId, "specialist"), await addPerson(inst, admin.personId, "staff"), await addPerson(inst, admin.personId, "client")];
});
afterAll(() => inst.close());

// The rest of the settings form as it stands after setup, so a post changes only the box under test.
const form = { name: "Test Clinic", language: "en", timeZone: "Europe/Moscow", clientTwoFactor: "optional", reminderHours: "24, 1", mailDetails: "minimal", address: "", mailSpecialists: "on" };
const box = /<input id="f-unencryptedCalls" type="checkbox" name="unencryptedCalls"[^>]*>/;
const audited = () => searchAudit(inst.db, { actionPrefix: "settings.change" });

/** Puts the setting back to its default through the form, so each test passes alone and in any order. */
async function turnOff(): Promise<void> {
  expect((await signedInClient(inst, admin).post("/admin/settings", form)).status).toBe(200);
  expect(allowsUnencryptedCalls(inst.db)).toBe(false);
}

describe("unencrypted calls setting", () => {
  test("is off after setup: the reader says no and the page shows the box unticked, with the reason, in English and Russian", async () => {
    const fresh = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org" });
    try {
      expect(allowsUnencryptedCalls(fresh.db)).toBe(false); // before setup too
      const freshAdmin = await setUpOrganisation(fresh);
      expect(allowsUnencryptedCalls(fresh.db)).toBe(false);
      const page = await (await signedInClient(fresh, freshAdmin).get("/admin/settings")).text();
      expect(page.match(box)![0]).not.toContain("checked");
      expect(page).toContain("<legend>Video consultations</legend>");
      expect(page).toContain("unable to see or hear them");
      expect(page).toContain("Let such a browser join without end-to-end encryption");
      const ru = await (await signedInClient(fresh, freshAdmin).get("/admin/settings", { "accept-language": "ru" })).text();
      expect(ru).toContain("<legend>Видеоконсультации</legend>");
      expect(ru).toContain("Допускать такой браузер без сквозного шифрования");
    } finally {
      fresh.close();
    }
  });

  test("an admin turns it on and off through the form; the reader follows, and each change is audited with its value", async () => {
    await turnOff();
    const a = signedInClient(inst, admin);
    const before = audited().length;
    const on = await a.post("/admin/settings", { ...form, unencryptedCalls: "on" });
    expect(on.status).toBe(200);
    expect((await on.text()).match(box)![0]).toContain("checked");
    expect(allowsUnencryptedCalls(inst.db)).toBe(true);
    const entries = audited();
    expect(entries).toHaveLength(before + 1);
    // searchAudit lists the newest first.
    expect(entries[0]).toMatchObject({ actor: admin.personId, action: "settings.change", details: { unencryptedCalls: true } });
    // The page shows what was saved, not only what was posted.
    expect((await (await a.get("/admin/settings")).text()).match(box)![0]).toContain("checked");

    expect((await a.post("/admin/settings", form)).status).toBe(200);
    expect(allowsUnencryptedCalls(inst.db)).toBe(false);
    expect(audited()[0]).toMatchObject({ actor: admin.personId, details: { unencryptedCalls: false } });
    expect((await (await a.get("/admin/settings")).text()).match(box)![0]).not.toContain("checked");
  });

  test("nobody but an admin can turn it on (403), and neither can a post from another site", async () => {
    await turnOff();
    const before = audited().length;
    for (const who of others) {
      const r = await signedInClient(inst, who).post("/admin/settings", { ...form, unencryptedCalls: "on" });
      expect(r.status).toBe(403);
    }
    const crossSite = await signedInClient(inst, admin).post("/admin/settings", { ...form, unencryptedCalls: "on" }, { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const anonymous = await new TestClient(inst.app, "https://consult.example.org").post("/admin/settings", { ...form, unencryptedCalls: "on" });
    expect(anonymous.status).not.toBe(200);
    expect(allowsUnencryptedCalls(inst.db)).toBe(false);
    expect(audited()).toHaveLength(before);
  });

  test("a value the checkbox never sends is refused with the form and its message (422), changing nothing", async () => {
    await turnOff();
    const a = signedInClient(inst, admin);
    const before = audited().length;
    for (const value of ["true", "yes", "1", "off", "", "on ".repeat(1000)]) {
      const r = await a.post("/admin/settings", { ...form, unencryptedCalls: value });
      expect(r.status).toBe(422);
      const html = await r.text();
      expect(html).toContain('<small id="f-unencryptedCalls-error">This value is not valid.</small>');
      expect(html.match(box)![0]).toContain('aria-invalid="true"');
      expect(html.match(box)![0]).not.toContain("checked");
    }
    expect(allowsUnencryptedCalls(inst.db)).toBe(false);
    expect(audited()).toHaveLength(before);
  });
});
