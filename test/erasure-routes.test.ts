// The admin's erasure form (POST /admin/people/:id/erase): typed confirmation, refusal for staff with the reason,
// and the client erased through it, in English and Russian.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { getPerson } from "../src/people/people.ts";
import { isErased } from "../src/privacy/erasure.ts";
import { readShreddedList } from "../src/privacy/shredded-list.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

let inst: TestInstallation;
let admin: TestPerson;
let client: TestPerson;
let specialist: TestPerson;

beforeAll(async () => {
  inst = makeInstallation();
  admin = await setUpOrganisation(inst);
  client = await addPerson(inst, admin.personId, "client");
  specialist = await addPerson(inst, admin.personId, "specialist");
}, 60_000);
afterAll(() => inst.close());

test("the person page links to the form; a wrong confirmation is a 422 with the field's message, changing nothing", async () => {
  const as = signedInClient(inst, admin);
  expect(await (await as.get(`/admin/people/${client.personId}`)).text()).toContain(`/admin/people/${client.personId}/erase`);
  expect(await (await as.get(`/admin/people/${specialist.personId}`)).text()).not.toContain("/erase");
  const form = await as.get(`/admin/people/${client.personId}/erase`);
  expect(form.status).toBe(200);
  expect(await form.text()).toContain('name="confirm"');
  const wrong = await as.post(`/admin/people/${client.personId}/erase`, { confirm: "erase please" });
  expect(wrong.status).toBe(422);
  expect(await wrong.text()).toContain("Type the client&#39;s email address exactly, or the word ERASE.");
  const ru = await as.post(`/admin/people/${client.personId}/erase`, { confirm: "" }, { "accept-language": "ru" });
  expect(ru.status).toBe(422);
  expect(await ru.text()).toContain("Введите email клиента точно или слово ERASE.");
  expect(isErased(inst.db, client.personId)).toBe(false);
  expect(getPerson(inst, client.personId)?.email).toBe(client.email);
});

test("staff and admins are refused with the reason", async () => {
  const as = signedInClient(inst, admin);
  const r = await as.post(`/admin/people/${specialist.personId}/erase`, { confirm: "ERASE" });
  expect(r.status).toBe(409);
  expect(await r.text()).toContain("Only clients can be erased.");
  const self = await as.post(`/admin/people/${admin.personId}/erase`, { confirm: admin.email });
  expect(self.status).toBe(409);
  expect(isErased(inst.db, specialist.personId)).toBe(false);
  expect(isErased(inst.db, admin.personId)).toBe(false);
  expect((await as.post("/admin/people/no-such-person/erase", { confirm: "ERASE" })).status).toBe(404);
});

test("typing the client's email erases them; the client's own session ends and the pages still render", async () => {
  const as = signedInClient(inst, admin);
  const theClient = signedInClient(inst, client);
  expect((await theClient.get("/account")).status).toBe(200);
  const r = await as.post(`/admin/people/${client.personId}/erase`, { confirm: `  ${client.email.toUpperCase()} ` });
  expect(r.status).toBe(200);
  const body = await r.text();
  expect(body).toContain("The client is erased.");
  expect(body).not.toContain(client.email);
  expect(isErased(inst.db, client.personId)).toBe(true);
  expect(readShreddedList(inst.config.dataDir)).toEqual([client.personId]);
  expect((await theClient.get("/account")).status).toBe(303); // signed out
  // The people list and the person page render with the erased client in them.
  const list = await as.get("/admin/people");
  expect(list.status).toBe(200);
  expect(await list.text()).toContain(`<a href="/admin/people/${client.personId}">Erased client</a>`);
  const page = await as.get(`/admin/people/${client.personId}`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("Erased client");
  const again = await as.post(`/admin/people/${client.personId}/erase`, { confirm: "ERASE" });
  expect(again.status).toBe(409);
  expect(await again.text()).toContain("This client is already erased.");
  expect(inst.logs.join("")).not.toContain(client.email);
});
