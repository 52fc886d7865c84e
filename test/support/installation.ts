// A real installation in a fresh temporary directory: its own master key, a migrated SQLite, the real app.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { websocket } from "hono/bun";
import { type App, createApp } from "../../src/app.ts";
import { SettableClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { generateMasterKeyText } from "../../src/crypto/master-key.ts";
import { createLogger } from "../../src/log.ts";
import { type Installation, openInstallation } from "../../src/installation.ts";
import { freePort } from "./processes.ts";

export interface TestInstallation extends Installation {
  dir: string;
  keyFile: string;
  env: Record<string, string>;
  app: App;
  /** Every log line the installation wrote, to check that no personal data reaches the log. */
  logs: string[];
  /** The installation's clock: follows the system clock until a test sets it. */
  clock: SettableClock;
  close(): void;
}

export function tempDir(prefix = "kabinet-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeKeyFile(dir: string, name = "master.key"): string {
  const path = join(dir, name);
  writeFileSync(path, `${generateMasterKeyText()}\n`, { mode: 0o600 });
  return path;
}

export function makeInstallation(extraEnv: Record<string, string> = {}): TestInstallation {
  const dir = tempDir();
  const keyFile = writeKeyFile(dir);
  // No test server takes the default metrics port 9464 (servers run side by side, and beside a developer's own
  // `npm start`) unless the test asks for a metrics listener.
  const env = { KABINET_DATA_DIR: join(dir, "data"), KABINET_MASTER_KEY_FILE: keyFile, KABINET_METRICS_LISTEN: "off", ...extraEnv };
  const config = loadConfig(env);
  const logs: string[] = [];
  const clock = new SettableClock();
  const inst = openInstallation(config, createLogger("debug", (line) => logs.push(line)), { clock });
  return {
    ...inst,
    dir,
    keyFile,
    env,
    app: createApp(inst),
    logs,
    clock,
    close() {
      inst.db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const MAIN = join(import.meta.dir, "../../src/main.ts");

/** Runs `kabinet <args>` from source, as `bun run src/main.ts` would, with only the given KABINET_* variables. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): CliResult {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KABINET_")));
  const r = Bun.spawnSync([process.execPath, MAIN, ...args], { env: { ...clean, KABINET_METRICS_LISTEN: "off", ...env }, cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export interface ServedInstallation {
  inst: TestInstallation;
  origin: string;
  stop(): Promise<void>;
}

/** A fresh installation served over real HTTP on a free loopback port, with its public URL set to that origin. */
/** `hostname`: the address to listen on and be reached at (loopback unless a test builds its own network). */
export async function serveInstallation(extraEnv: Record<string, string> = {}, hostname = "127.0.0.1"): Promise<ServedInstallation> {
  const port = await freePort();
  const origin = `http://${hostname}:${port}`;
  const inst = makeInstallation({ KABINET_PUBLIC_URL: origin, ...extraEnv });
  const server = Bun.serve({ hostname, port, fetch: inst.app.fetch, websocket });
  return {
    inst,
    origin,
    stop: async () => {
      await server.stop(true);
      inst.close();
    },
  };
}
