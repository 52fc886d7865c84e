// Self-registration goes through a mailed code: closed without mail, and a stranger registering a waiting client's
// address again cannot flood their mailbox.
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

test("registering a waiting client's address again sends a new code at most once a minute and five an hour", async () => {
  inst = makeInstallation({ KABINET_PUBLIC_URL: ORIGIN, KABINET_SMTP_URL: "smtp://127.0.0.1:9" });
  await setUpOrganisation(inst, { selfRegistration: true });
  const codes = () => listJobs(inst.db, inst.vault, ["pending"]).filter((j) => (j.payload as { template?: string; purpose?: string }).purpose === "register").length;
  const register = (ip: string) => new TestClient(inst.app, ORIGIN).post("/register", { name: "Maria", email: "maria@example.org" }, { "x-forwarded-for": ip });
  const before = codes();
  expect((await register("198.51.100.1")).status).toBe(200);
  expect(codes()).toBe(before + 1);
  for (const ip of ["198.51.100.2", "198.51.100.3"]) expect((await register(ip)).status).toBe(200);
  expect(codes()).toBe(before + 1); // within the minute the first code stays the only one
  for (let i = 0; i < 6; i++) {
    inst.clock.advance(61_000);
    await register("198.51.100.9");
  }
  expect(codes()).toBe(before + 5); // five an hour
});
