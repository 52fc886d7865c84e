// Self-registration goes through a mailed link: closed without mail, and a stranger registering an invited client's
// address again neither cancels the link that person was sent nor floods their mailbox.
import { afterEach, expect, test } from "bun:test";
import { listJobs } from "../src/jobs/queue.ts";
import { setUpOrganisation } from "./support/accounts.ts";
import { TestClient } from "./support/client.ts";
import { makeInstallation, type TestInstallation } from "./support/installation.ts";

const ORIGIN = "https://consult.example.org";
let inst: TestInstallation;
afterEach(() => inst?.close());

test("without mail configured, self-registration is closed even when the setting is on", async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN });
  await setUpOrganisation(inst, { selfRegistration: true });
  const c = new TestClient(inst.app, ORIGIN);
  expect((await c.get("/register")).status).toBe(404);
  expect(await (await c.get("/signin")).text()).not.toContain('href="/register"');
  expect((await c.post("/register", { name: "Maria", email: "maria@example.org" })).status).toBe(404);
});

test("registering an invited client's address again sends a new link at most once an hour", async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: "smtp://127.0.0.1:9" });
  await setUpOrganisation(inst, { selfRegistration: true });
  const links = () => listJobs(inst.db, inst.vault, ["pending"]).filter((j) => (j.payload as { template?: string }).template === "account.link").length;
  const register = (ip: string) => new TestClient(inst.app, ORIGIN).post("/register", { name: "Maria", email: "maria@example.org" }, { "x-forwarded-for": ip });
  const before = links();
  expect((await register("198.51.100.1")).status).toBe(200);
  expect(links()).toBe(before + 1);
  for (const ip of ["198.51.100.2", "198.51.100.3", "198.51.100.4"]) expect((await register(ip)).status).toBe(200);
  expect(links()).toBe(before + 1); // the first link stays the only one
  inst.clock.advance(61 * 60_000);
  expect((await register("198.51.100.5")).status).toBe(200);
  expect(links()).toBe(before + 2);
});
