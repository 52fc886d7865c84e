// Master key rotation exactly as README.md "Rotating the master key" states it, with real server processes: refused
// while a server runs (it could not open keys re-wrapped under a key it does not hold), then stop, rotate, start.
import { afterEach, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { parseMasterKey } from "../src/crypto/master-key.ts";
import { openInstallation } from "../src/installation.ts";
import { createLogger } from "../src/log.ts";
import { createPerson, getPerson } from "../src/people/people.ts";
import { rotateMasterKey } from "../src/vault/vault.ts";
import { runCli, tempDir, writeKeyFile } from "./support/installation.ts";
import { freePort, stop, waitFor } from "./support/processes.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");
const procs: Subprocess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await stop(p);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `kabinet serve` as its own process; `log()` is what it printed so far. */
async function serve(env: Record<string, string>, origin: string): Promise<{ proc: Subprocess; log: () => string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const proc = Bun.spawn([process.execPath, MAIN, "serve"], { env: { ...clean, ...env }, stdout: "pipe", stderr: "pipe" });
  procs.push(proc);
  let out = "";
  void (async () => {
    for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
  })();
  await waitFor(`${origin}/readyz`, {}, 15_000, proc);
  return { proc, log: () => out };
}

function keyId(path: string): string {
  const k = parseMasterKey(readFileSync(path, "utf8"));
  if (!k.ok) throw new Error(k.problem);
  return k.value.id;
}

/** Every person's name, read with exactly these keys (no other key given). */
function readAllNames(env: Record<string, string>, ids: string[]): (string | undefined)[] {
  const inst = openInstallation(loadConfig(env), createLogger("error", () => {}));
  try {
    return ids.map((id) => getPerson(inst, id)?.name);
  } finally {
    inst.db.$client.close();
  }
}

async function installationWithPeople(): Promise<{ env: Record<string, string>; origin: string; newKeyFile: string; ids: string[] }> {
  const dir = tempDir();
  dirs.push(dir);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: writeKeyFile(dir), KABINET_LISTEN: `127.0.0.1:${port}`, KABINET_PUBLIC_URL: origin, KABINET_METRICS_LISTEN: "off" };
  const inst = openInstallation(loadConfig(env), createLogger("error", () => {}));
  const ids = Array.from({ length: 5 }, (_, i) => createPerson(inst, { role: "client", email: `p${i}@example.org`, name: `Person ${i}` }, "system")!.id);
  inst.db.$client.close();
  return { env, origin, newKeyFile: writeKeyFile(dir, "master-2.key"), ids };
}

/** The running server creates a person, so a new data key, under the key it holds: first-run setup does. */
async function createAdminThroughServer(origin: string, log: string): Promise<void> {
  const code = log.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { setupCode?: string }).find((l) => l.setupCode)?.setupCode;
  expect(code).toBeDefined();
  const form = { code: code!, orgName: "Clinic", language: "en", timeZone: "UTC", name: "Admin Meanwhile", email: "admin@example.org", password: "a long enough passphrase" };
  const r = await fetch(`${origin}/setup`, { method: "POST", body: new URLSearchParams(form), headers: { origin }, redirect: "manual" });
  expect(r.status).toBe(303);
}

describe("rotating the master key as the README says", () => {
  test("refused while the server runs; stopped: rotate, start on the new key, and all data, old and new, opens", async () => {
    const { env, origin, newKeyFile, ids } = await installationWithPeople();
    const first = await serve(env, origin);
    await createAdminThroughServer(origin, first.log()); // a data key the server itself created

    // While the server runs, rotation is refused in one line and changes nothing.
    const refused = runCli(["keys", "rotate", "--new-key-file", newKeyFile], env);
    expect(refused.stderr).toMatch(/^kabinet: a Kabinet server is running on KABINET_DATA_DIR \S+: stop it first \(docker compose stop kabinet\)[^\n]*\n$/);
    expect(refused.code).toBe(1);
    expect((await fetch(`${origin}/signin`)).status).toBe(200); // the server still opens its keys
    // Nor does a second server start on the same data dir.
    const port2 = await freePort();
    const twice = runCli(["serve"], { ...env, KABINET_LISTEN: `127.0.0.1:${port2}` });
    expect(twice.stderr).toContain("is in use by another Kabinet server or a key rotation");

    // The README: stop the server, rotate, start with the new key.
    await stop(first.proc);
    const rotate = runCli(["keys", "rotate", "--new-key-file", newKeyFile], env);
    expect(rotate.stderr).toBe("");
    expect(rotate.stdout).toContain(`Next: start the server with KABINET_MASTER_KEY_FILE=${newKeyFile}`);
    const newEnv = { ...env, KABINET_MASTER_KEY_FILE: newKeyFile };
    const second = await serve(newEnv, origin);
    const signIn = await fetch(`${origin}/signin`, {
      method: "POST",
      body: new URLSearchParams({ email: "admin@example.org", password: "a long enough passphrase" }),
      headers: { origin },
      redirect: "manual",
    });
    expect(signIn.status).toBe(303); // the admin's password checks out: index and person keys open under the new key
    await stop(second.proc);

    expect(readAllNames(newEnv, ids)).toEqual(ids.map((_, i) => `Person ${i}`));
    expect(runCli(["audit", "verify"], newEnv).code).toBe(0);
    expect(runCli(["migrate"], env).stderr).toContain(`its data keys are wrapped by key ${keyId(newKeyFile)}`); // the old key alone no longer opens it
  }, 60_000);

  test("an interrupted rotation: a start on the new key given the old one as KABINET_PREVIOUS_MASTER_KEY_FILE finishes it", async () => {
    const { env, origin, newKeyFile, ids } = await installationWithPeople();
    const oldKey = parseMasterKey(readFileSync(env.KABINET_MASTER_KEY_FILE!, "utf8"));
    const newKey = parseMasterKey(readFileSync(newKeyFile, "utf8"));
    if (!oldKey.ok || !newKey.ok) throw new Error("keys");
    const inst = openInstallation(loadConfig(env), createLogger("error", () => {}), { alsoAccept: [newKey.value] });
    expect(() =>
      rotateMasterKey(inst.db, [oldKey.value, newKey.value], newKey.value, {
        batchSize: 2,
        onBatch: () => {
          throw new Error("power cut");
        },
      }),
    ).toThrow("power cut");
    inst.db.$client.close();

    const newEnv = { ...env, KABINET_MASTER_KEY_FILE: newKeyFile };
    const alone = runCli(["serve"], newEnv);
    expect(alone.stderr).toContain("give the old one as KABINET_PREVIOUS_MASTER_KEY_FILE: that start re-wraps the rest under the new key");
    const both = await serve({ ...newEnv, KABINET_PREVIOUS_MASTER_KEY_FILE: env.KABINET_MASTER_KEY_FILE! }, origin);
    expect(both.log()).toContain("finished the master key rotation");
    await stop(both.proc);

    expect(readAllNames(newEnv, ids)).toEqual(ids.map((_, i) => `Person ${i}`));
    expect(runCli(["audit", "verify"], newEnv).code).toBe(0);
  }, 60_000);
});
