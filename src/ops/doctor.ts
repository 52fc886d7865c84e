// `kabinet doctor`: checks an installation and prints one line per check, with the fix for each problem.
// Read-only by design: it may run beside a live server (no data-dir lock, no migration, the database opened read-only)
// and before the first start (no database yet). A check that cannot run says why instead of throwing, and no line
// carries a secret: passwords, keys and TURN credentials are used, never printed.
import { readFileSync } from "node:fs";
import { type Clock, systemClock } from "../clock.ts";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { checkBackups, checkDatabase, checkDisks, checkMasterKey, checkMediaPorts, checkPublicAddress } from "./doctor-local.ts";
import { checkServer, checkSMTP, checkTLS, checkTURN, serverAnswers } from "./doctor-remote.ts";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** One sentence saying what to do; null when there is nothing to do. */
  fix: string | null;
}

export interface DoctorOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** PEM file of a private CA to trust for the public URL's certificate (besides the system's). */
  caFile?: string | null;
  clock?: Clock;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: "ok", detail, fix: null });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: "warn", detail, fix });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: "fail", detail, fix });

export async function runDoctor(options: DoctorOptions = {}): Promise<CheckResult[]> {
  const clock = options.clock ?? systemClock;
  const { config, problems } = configurationOf(options.env ?? process.env, options.cwd ?? process.cwd());
  const results: CheckResult[] = problems.length > 0 ? problems : [ok("configuration", "every KABINET_* variable is valid")];
  if (!config) return results;
  let ca: string | null = null;
  if (options.caFile) {
    try {
      ca = readFileSync(options.caFile, "utf8");
    } catch (err) {
      results.push(fail("tls certificate", `--ca ${options.caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, "Pass the PEM file of your private CA's root certificate."));
    }
  }
  const running = await serverAnswers(config);
  results.push(...checkMasterKey(config), checkDatabase(config), ...checkDisks(config));
  results.push(await checkMediaPorts(config, running), checkPublicAddress(config));
  // The network checks wait on other machines: run them side by side.
  const remote = await Promise.all([checkTURN(config, ca, clock), checkTLS(config, ca, clock), checkSMTP(config)]);
  results.push(...remote.flat(), ...checkBackups(config, clock), await checkServer(config, running));
  return results;
}

/**
 * The configuration, and each variable that is wrong. A wrong variable is dropped and the rest read again (it then
 * has its default), so one typo does not hide every other check.
 */
function configurationOf(env: Record<string, string | undefined>, cwd: string): { config: Config | null; problems: CheckResult[] } {
  const rest = { ...env };
  const problems: CheckResult[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return { config: loadConfig(rest, cwd), problems };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(fail("configuration", err.message, "Correct that variable as the example shows (README, Configuration); until then the checks below use its default."));
      const variable = /^KABINET_[A-Z0-9_]+/.exec(err.message)?.[0];
      if (!variable) return { config: null, problems };
      // A variable that is wrong is dropped; one that is missing from a set (the SFTP copy's three) drops its set.
      const group = `${variable.split("_").slice(0, 3).join("_")}_`;
      const dropped = Object.hasOwn(rest, variable) ? [variable] : Object.keys(rest).filter((k) => k.startsWith(group));
      if (dropped.length === 0) return { config: null, problems };
      for (const k of dropped) delete rest[k];
    }
  }
  return { config: null, problems };
}

const MARK: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗" };

/** The report as people read it: one aligned line per check, the fix indented below each problem, then a summary. */
export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => {
    const head = `${MARK[r.status]} ${r.name.padEnd(width)}  ${r.detail}`;
    return r.fix && r.status !== "ok" ? [head, `  ${" ".repeat(width)}  → ${r.fix}`] : [head];
  });
  const failed = results.filter((r) => r.status === "fail").length;
  const warned = results.filter((r) => r.status === "warn").length;
  const problems = failed + warned;
  const summary =
    problems === 0
      ? "No problems found."
      : `${problems} ${problems === 1 ? "problem" : "problems"}: ${failed} failed, ${warned} ${warned === 1 ? "warning" : "warnings"}.`;
  return `${lines.join("\n")}\n\n${summary}\n`;
}

/** The CLI command: prints the report (or JSON); exit 1 when any check failed, warnings alone are 0. */
export async function doctorCommand(options: { caFile: string | null; json: boolean }): Promise<number> {
  const results = await runDoctor({ caFile: options.caFile });
  process.stdout.write(options.json ? `${JSON.stringify({ checks: results }, null, 2)}\n` : formatReport(results));
  return results.some((r) => r.status === "fail") ? 1 : 0;
}
