// A backup made while a real server process takes writes over HTTP (admins inviting people, one after another) is
// consistent: it restores with integrity ok and an audit chain that verifies, and holds exactly a prefix of the
// acknowledged writes (all those acknowledged before the backup began, none that was never acknowledged).
import { afterAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { openInstallation } from "../src/installation.ts";
import { createLogger } from "../src/log.ts";
import { listPeople } from "../src/people/people.ts";
import { cookieFor, setUpOrganisation } from "./support/accounts.ts";
import { makeInstallation, runCli, tempDir } from "./support/installation.ts";
import { freePort, stop, waitFor } from "./support/processes.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

test("a backup taken during a write load restores consistent, holding a prefix of the acknowledged writes", async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const inst = makeInstallation({ KABINET_PUBLIC_URL: origin, KABINET_LISTEN: `127.0.0.1:${port}` });
  const admin = await setUpOrganisation(inst);
  const cookie = cookieFor(inst, admin.personId);
  inst.db.$client.close(); // the server process holds the data dir from now on
  cleanup.push(() => rmSync(inst.dir, { recursive: true, force: true }));

  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const server: Subprocess = Bun.spawn([process.execPath, MAIN, "serve"], { env: { ...clean, ...inst.env }, stdout: "ignore", stderr: "inherit" });
  cleanup.push(() => stop(server));
  await waitFor(`${origin}/readyz`, {}, 20_000, server);

  const acknowledged: string[] = [];
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const email = `load${i}@example.org`;
      const r = await fetch(`${origin}/admin/people`, {
        method: "POST",
        headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ name: `Load ${i}`, email, role: "client" }).toString(),
        redirect: "manual",
      });
      if (r.status !== 201) throw new Error(`invite ${i} answered ${r.status}`);
      await r.arrayBuffer();
      acknowledged.push(email);
    }
  })();
  while (acknowledged.length < 30) await Bun.sleep(20);
  const before = acknowledged.length;
  const backup = Bun.spawn([process.execPath, MAIN, "backup"], { env: { ...clean, ...inst.env }, stdout: "pipe", stderr: "pipe" });
  const code = await backup.exited;
  const during = acknowledged.length;
  await Bun.sleep(300);
  writing = false;
  await writer;
  expect(await new Response(backup.stderr).text()).toBe("");
  expect(code).toBe(0);
  expect(during).toBeGreaterThan(before); // the server kept answering while the backup ran

  const file = readdirSync(inst.config.backup.dir).find((n) => n.endsWith(".kbk"))!;
  const restoredDir = tempDir();
  cleanup.push(() => rmSync(restoredDir, { recursive: true, force: true }));
  const env = { ...inst.env, KABINET_DATA_DIR: join(restoredDir, "data"), KABINET_BACKUP_DIR: join(restoredDir, "backups") };
  const restore = runCli(["restore", join(inst.config.backup.dir, file)], env);
  expect(restore.stderr).toBe("");
  expect(restore.code).toBe(0);
  expect(restore.stdout).toContain("integrity_check: ok");
  expect(restore.stdout).toContain("chain intact");

  const restored = openInstallation(loadConfig(env), createLogger("error", () => {}), { migrate: false, purpose: "inspect" });
  const emails = listPeople(restored)
    .map((p) => p.email)
    .filter((e) => e.startsWith("load"));
  restored.db.$client.close();
  expect(emails.length).toBeGreaterThanOrEqual(before);
  expect(emails.length).toBeLessThanOrEqual(acknowledged.length);
  expect(emails.sort()).toEqual(acknowledged.slice(0, emails.length).sort());
  const audit = runCli(["audit", "verify"], env);
  expect(audit.code).toBe(0);
}, 60_000);
