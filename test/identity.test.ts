// The organisation's identity and the reader's clock: its name in every title, the header and mails; its logo,
// checked by its bytes and served safely; times on the person's chosen clock in pages and mails; zones by city in the
// reader's language; services named in the organisation's language only.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { formToServiceInput, serviceSchema } from "../src/booking/booking.schema.ts";
import { zoneName } from "../src/i18n/zones.ts";
import { setPersonHourCycle, setPersonPreferences } from "../src/people/people.ts";
import { jobWorker } from "../src/worker.ts";
import { addPerson, setUpOrganisation, signedInClient, type TestPerson } from "./support/accounts.ts";
import { at, dayAhead, everyDay, makeService, setHours } from "./support/booking.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";
import { type SmtpServer, startSmtp } from "./support/smtp.ts";

let smtp: SmtpServer;
let inst: TestInstallation;
let admin: TestPerson;
let spec: TestPerson;
let client: TestPerson;

beforeAll(async () => {
  smtp = await startSmtp();
  inst = makeInstallation({ KABINET_PUBLIC_URL: "https://consult.example.org", KABINET_SMTP_URL: smtp.url, KABINET_MAIL_FROM: "Kabinet <consult@example.org>" });
  admin = await setUpOrganisation(inst);
  spec = await addPerson(inst, admin.personId, "specialist", { name: "Dr Anna Lind" });
  client = await addPerson(inst, admin.personId, "client", { name: "Ivan Client" });
  setHours(inst, spec.personId, everyDay("Europe/Moscow", "09:00", "18:00"));
});
afterAll(async () => {
  await smtp.stop();
  inst.close();
});

const titleOf = (html: string) => html.match(/<title>([^<]*)<\/title>/)![1];

/** A multipart upload as a browser sends it, with the client's cookies and our Origin. */
async function upload(c: TestClient, path: string, bytes: Uint8Array<ArrayBuffer>, name: string, type: string): Promise<Response> {
  const form = new FormData();
  form.set("logo", new File([bytes], name, { type }));
  const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return inst.app.request(new URL(path, c.origin).toString(), { method: "POST", body: form, headers: { cookie, origin: c.origin } });
}

// The smallest valid PNG (1×1, transparent).
const PNG = Uint8Array.from(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64"));

describe("the organisation's name", () => {
  test("names every page title and the header, signed in or not", async () => {
    const signIn = await (await new TestClient(inst.app, inst.config.publicUrl.origin).get("/signin")).text();
    expect(titleOf(signIn)).toBe("Sign in — Test Clinic");
    expect(signIn).toContain('class="kb-brand"');
    expect(signIn).toMatch(/class="kb-brand">.*<span>Test Clinic<\/span>/);
    const account = await (await signedInClient(inst, client).get("/account")).text();
    expect(titleOf(account)).toBe("My account — Test Clinic");
    expect(account).not.toContain("· Kabinet");
    // Every page starts with a way past the navigation.
    expect(account).toMatch(/<body[^>]*><a href="#main" class="kb-skip">Skip to content<\/a>/);
  });

  test("an invitation reads as the organisation's: sender, subject, signature, and the page its link opens", async () => {
    expect((await signedInClient(inst, admin).post("/admin/people", { name: "Olga Invited", email: "olga@example.org", role: "client" })).status).toBeLessThan(400);
    await jobWorker(inst, { now: () => Date.now() }).runDue();
    const mail = smtp.messages().find((m) => m.to.includes("olga@example.org"))!;
    expect(mail.from).toBe("Test Clinic <consult@example.org>"); // KABINET_MAIL_FROM says "Kabinet"
    expect(mail.subject).toBe("Your invitation to Test Clinic");
    expect(mail.text).toStartWith("Hello Olga Invited,");
    expect(mail.text).toEndWith("-- \nTest Clinic\nhttps://consult.example.org\nSent by Test Clinic from its own consultation service. This mail contains no details of your consultation.\n");
    const link = mail.text.match(/https:\/\/consult\.example\.org(\/link\/[A-Za-z0-9_-]{43})/)![1]!;
    const c = new TestClient(inst.app, inst.config.publicUrl.origin);
    const page = await (await c.follow(await c.get(link))).text();
    expect(page).toContain("<h1>Welcome to Test Clinic</h1>");
    expect(titleOf(page)).toBe("Welcome to Test Clinic"); // named once, not twice
  });

  test("staff, specialists and admins find 'Book for a client' in the header; clients their own 'Book'", async () => {
    const staff = await addPerson(inst, admin.personId, "staff");
    for (const who of [staff, spec, admin]) {
      expect(await (await signedInClient(inst, who).get("/account")).text()).toContain('<a href="/book">Book for a client</a>');
    }
    const own = await (await signedInClient(inst, client).get("/account")).text();
    expect(own).not.toContain("Book for a client");
    expect(own).toContain('<a href="/book">Book</a>');
  });
});

describe("organisation settings", () => {
  test("mailing specialists about new bookings can be turned off and on again, and the page shows what was saved", async () => {
    const a = signedInClient(inst, admin);
    const form = { name: "Test Clinic", language: "en", timeZone: "Europe/Moscow", clientTwoFactor: "optional", reminderHours: "24", mailDetails: "minimal", address: "" };
    const box = /<input type="checkbox" name="mailSpecialists"[^>]*>/;
    expect((await (await a.get("/admin/settings")).text()).match(box)![0]).toContain("checked");
    expect((await a.post("/admin/settings", form)).status).toBe(200);
    const off = await (await a.get("/admin/settings")).text();
    expect(off.match(box)![0]).not.toContain("checked");
    expect(off).toContain("Mail specialists about new bookings");
    expect((await a.post("/admin/settings", { ...form, mailSpecialists: "on" })).status).toBe(200);
    const on = await (await a.get("/admin/settings")).text();
    expect(on.match(box)![0]).toContain("checked");
    // The consent text is one click away from the page, and on the administration page the header links to.
    expect(on).toContain('<a href="/admin/consent">Consent to data processing</a>');
    expect(on).toContain('<a href="/admin" aria-current="page">Administration</a>');
    expect(await (await a.get("/admin")).text()).toContain('<a href="/admin/consent">Consent</a>');
  });
});

describe("the logo", () => {
  test("an SVG, HTML or renamed file is refused by its bytes, whatever its name; so is one over 200 KB (422, with the reason)", async () => {
    const a = signedInClient(inst, admin);
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const asPng = await upload(a, "/admin/settings/logo", svg, "logo.png", "image/png");
    expect(asPng.status).toBe(422);
    expect(await asPng.text()).toContain("This file is not a PNG, JPEG or WebP image.");
    const big = new Uint8Array(200 * 1024 + 1);
    big.set(PNG);
    const tooBig = await upload(a, "/admin/settings/logo", big, "logo.png", "image/png");
    expect(tooBig.status).toBe(422);
    expect(await tooBig.text()).toContain("This image is larger than 200 KB.");
    const wayTooBig = await upload(a, "/admin/settings/logo", new Uint8Array(2 * 1024 * 1024), "logo.png", "image/png");
    expect(wayTooBig.status).toBe(422);
    expect(await (await a.get("/account")).text()).not.toContain("/org/logo.");
    // Only admins may upload.
    expect((await upload(signedInClient(inst, spec), "/admin/settings/logo", PNG, "logo.png", "image/png")).status).toBe(403);
  });

  test("a PNG is shown in every header and served at its content-hashed URL with its type, nosniff and a year's cache; removing it ends that", async () => {
    const a = signedInClient(inst, admin);
    const saved = await upload(a, "/admin/settings/logo", PNG, "whatever.bin", "application/octet-stream");
    expect(saved.status).toBe(200);
    const url = (await saved.text()).match(/src="(\/org\/logo\.[0-9a-f]{16}\.png)"/)![1]!;
    const signIn = await (await new TestClient(inst.app, inst.config.publicUrl.origin).get("/signin")).text();
    expect(signIn).toContain(`<img src="${url}" alt="" width="40" height="40"/><span>Test Clinic</span>`);
    const served = await new TestClient(inst.app, inst.config.publicUrl.origin).get(url);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(served.headers.get("x-content-type-options")).toBe("nosniff");
    expect(served.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(served.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(PNG);
    expect((await a.get(url.replace(/\.[0-9a-f]{16}\./, ".0000000000000000."))).status).toBe(404);
    const removed = await a.post("/admin/settings/logo/remove");
    expect(removed.status).toBe(200);
    expect(await removed.text()).not.toContain(url);
    expect((await a.get(url)).status).toBe(404);
  });
});

describe("the reader's clock and zone", () => {
  test("a 14:30 appointment reads 2:30 PM on a 12-hour clock and 14:30 on a 24-hour one, on its page and in its mail", async () => {
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Clock check", cancelHours: 0 });
    const start = at(dayAhead(4, "Europe/Moscow"), "14:30", "Europe/Moscow");
    const c = signedInClient(inst, client);
    setPersonPreferences(inst.db, client.personId, { timeZone: "Europe/Moscow" });
    // The person's choice on the account page: 24 hours, in English.
    expect((await c.post("/account/clock", { hourCycle: "h23" })).status).toBe(200);
    const booked = await c.post(`/book/${service.id}`, { start: String(start), specialist: spec.personId, tz: "Europe/Moscow" });
    const id = booked.headers.get("location")!.split("/")[2]!.split("?")[0]!;
    const page24 = await (await c.get(`/appointments/${id}`)).text();
    expect(page24).toContain("14:30");
    expect(page24).not.toContain("2:30 PM");
    await jobWorker(inst, { now: () => Date.now() }).runDue();
    const mail24 = smtp.messages().filter((m) => m.to.includes(client.email)).at(-1)!;
    expect(mail24.subject).toContain("14:30");
    expect(mail24.text).toContain("14:30");
    // 12 hours, chosen on the account page, holds for a Russian reader too.
    expect((await c.post("/account/clock", { hourCycle: "h12" })).status).toBe(200);
    c.cookies.set("kabinet_lang", "ru");
    const page12 = await (await c.get(`/appointments/${id}`)).text();
    expect(page12).toContain("2:30 PM");
    expect(page12).not.toContain("14:30");
    setPersonPreferences(inst.db, client.personId, { locale: "ru" });
    expect((await c.post(`/appointments/${id}/cancel`, { reason: "" })).status).toBe(200);
    await jobWorker(inst, { now: () => Date.now() }).runDue();
    const mail12 = smtp.messages().filter((m) => m.to.includes(client.email)).at(-1)!;
    expect(mail12.subject).toStartWith("Запись отменена");
    expect(mail12.text).toContain("2:30 PM");
    expect(mail12.text).toContain("(Москва)");
    // Back to the language's custom: Russian reads 24 hours.
    setPersonHourCycle(inst.db, client.personId, null);
    expect(await (await c.get(`/appointments/${id}`)).text()).toContain("14:30");
    // Nothing else is accepted.
    expect((await c.post("/account/clock", { hourCycle: "h11" })).status).toBe(422);
  });

  test("zones are named by their city in the reader's language, in the zone list too", async () => {
    expect(zoneName("Europe/Moscow", "en")).toBe("Moscow");
    expect(zoneName("Europe/Moscow", "ru")).toBe("Москва");
    expect(zoneName("America/New_York", "en")).toBe("New York");
    expect(zoneName("America/New_York", "ru")).toBe("Нью-Йорк");
    expect(zoneName("Europe/Berlin", "ru")).toBe("Берлин"); // Intl gives only "Германия": the table's city
    expect(zoneName("Asia/Yekaterinburg", "ru")).toBe("Екатеринбург");
    const c = signedInClient(inst, client);
    c.cookies.set("kabinet_lang", "ru");
    const service = makeService(inst, admin.personId, [spec.personId], { nameEn: "Zone check" });
    const page = await (await c.get(`/book/${service.id}?specialist=${spec.personId}&day=${dayAhead(3, "Europe/Moscow")}&tz=Europe/Moscow`)).text();
    expect(page).toContain("время: Москва");
    expect(page).toContain('<option value="Europe/Moscow" selected="">Москва</option>');
    expect(page).not.toContain(">Europe/Moscow<");
    // The account page lists sessions in the viewer's own zone, and says which.
    setPersonPreferences(inst.db, client.personId, { timeZone: "Asia/Yekaterinburg" });
    expect(await (await c.get("/account")).text()).toContain("Время показано по часовому поясу: Екатеринбург.");
  });
});

describe("services", () => {
  test("need a name only in the organisation's language; the other language shows it", async () => {
    const a = signedInClient(inst, admin);
    const form = { nameEn: "", nameRu: "", durationMinutes: "50", bufferBeforeMinutes: "0", bufferAfterMinutes: "10", mode: "online", price: "", currency: "RUB", cancelHours: "24", active: "on" };
    const missing = await a.post("/admin/services", form);
    expect(missing.status).toBe(422);
    expect(await missing.text()).toMatch(/id="f-nameEn-error">Please fill this in\./);
    const saved = await a.post("/admin/services", { ...form, nameEn: "Walk-in talk", descriptionEn: "Half an hour", [`specialist:${spec.personId}`]: "on" });
    expect(saved.status).toBe(303);
    const edit = await (await a.follow(saved)).text();
    expect(edit).toContain('name="nameRu" type="text" value=""'); // stays empty on the form: the admin left it out
    const c = signedInClient(inst, client);
    c.cookies.set("kabinet_lang", "ru");
    const list = await (await c.get("/book")).text();
    expect(list).toContain("Walk-in talk");
    // A Russian organisation needs the Russian name, and only that.
    const ru = serviceSchema("ru");
    expect(ru.safeParse(formToServiceInput({ ...form, nameEn: "Only English" })).error?.issues.map((i) => i.path.join("."))).toEqual(["nameRu"]);
    expect(ru.safeParse(formToServiceInput({ ...form, nameRu: "Только по-русски" })).success).toBe(true);
  });
});
