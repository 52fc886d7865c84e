#!/usr/bin/env bun
// CLI entry: parse the command → load config → open the installation → run. Nothing else lives here.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { linkUrl } from "./accounts/links.ts";
import { invitePerson } from "./accounts/people-admin.ts";
import { ensureDefaultSettings } from "./accounts/setup.ts";
import { auditHeadFile, startAuditHeadRecorder, verifyAuditLog } from "./audit/audit-head.ts";
import { recordAudit } from "./audit/audit.ts";
import { countAnomaliesByRule } from "./anomalies/anomalies.ts";
import { backupCommand, restoreCommand } from "./backup/backup.cli.ts";
import { emailSchema, nameSchema } from "./http/form.ts";
import { type Config, ConfigError, loadConfig, readSecretFile } from "./config.ts";
import { parseMasterKey } from "./crypto/master-key.ts";
import { createLogger } from "./log.ts";
import { type Installation, openInstallation, StartupError } from "./installation.ts";
import { doctorCommand } from "./ops/doctor.ts";
import { explainFailure, explainListenFailure } from "./ops/failures.ts";
import { startServer } from "./server.ts";
import { VERSION } from "./version.ts";
import { rotateMasterKey } from "./vault/vault.ts";
import { describeRetentionRun, runRetention } from "./retention/retention.ts";

const USAGE = `Kabinet ${VERSION}: online consultations on your own hardware

Usage: kabinet <command> [options]

Commands:
  serve [--dev]                     run the web server (--dev: generate a master key in the data dir if none is set)
  migrate                           apply pending database migrations and exit
  version                           print the version
  audit verify                      check the audit log's hash chain; exit 1 at the first broken entry
  keys rotate --new-key-file PATH   re-wrap every data key under a new master key (server stopped; resumable)
  backup                            write a sealed backup to KABINET_BACKUP_DIR now (beside a running server)
  retention run                     purge what the retention policy says has expired, now; print what went and what was kept
  restore FILE [--force]            restore a backup into the data dir (server stopped; --force keeps the old one aside)
  admin create --email E --name N   create an administrator; prints a one-time link to set the password and two-factor
  doctor [--ca FILE] [--json]       check the installation and print each problem with its fix; exit 1 if any check fails
  health                            exit 0 if the local server answers /livez (Docker's HEALTHCHECK)
  help                              show this text

Configuration comes from KABINET_* environment variables; see README.md.
`;

class UsageError extends Error {}

type Command = (args: string[]) => Promise<number> | number;

const COMMANDS: Record<string, Command> = {
  serve(args) {
    const { values } = parse(args, { dev: { type: "boolean" } });
    const config = configure();
    const log = createLogger(config.logLevel);
    const inst = openInstallation(config, log, { generateDevKey: values.dev === true, holdDataDirFor: "server" });
    // Handlers first: a supervisor may signal as soon as it reads "listening".
    let server: ReturnType<typeof startServer> | null = null;
    const auditHead = startAuditHeadRecorder(inst.auditHead, log, inst.clock);
    const stop = async (signal: string) => {
      log.info("stopping", { signal });
      // After the server drained, before the database closes: the final head includes what the last requests wrote.
      if (server) await server.stop({ beforeClose: () => auditHead.stop() });
      else auditHead.stop();
      process.exit(0);
    };
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
    try {
      server = startServer(inst, { anomalyCounts: () => countAnomaliesByRule(inst.db) });
    } catch (err) {
      const explained = explainListenFailure(err, `${config.listen.hostname}:${config.listen.port}`);
      if (explained) throw new StartupError(explained);
      throw err;
    }
    return new Promise<number>(() => {}); // runs until a signal
  },

  migrate(args) {
    parse(args, {});
    const config = configure();
    const inst = openInstallation(config, createLogger("warn"));
    console.log(inst.migrationsApplied > 0 ? `applied ${inst.migrationsApplied} migrations; database is up to date` : "database is up to date");
    inst.db.$client.close();
    return 0;
  },

  version(args) {
    parse(args, {});
    console.log(VERSION);
    return 0;
  },

  audit(args) {
    const [sub, ...rest] = args;
    if (sub !== "verify") throw new UsageError(`unknown audit command: ${sub ?? "(none)"}; try: kabinet audit verify`);
    parse(rest, {});
    const config = configure();
    const inst = openInstallation(config, createLogger("warn"), { migrate: false, purpose: "inspect" });
    const result = verifyAuditLog({ db: inst.db, vault: inst.vault, headFile: auditHeadFile(config.dataDir) });
    inst.db.$client.close();
    if (result.ok) {
      const recorded = result.recordedAt === null ? "" : ` (includes the head recorded at ${new Date(result.recordedAt).toISOString()})`;
      console.log(`OK: ${result.count} audit entries, chain intact\nhead ${result.head}${recorded}`);
      return 0;
    }
    console.log(
      result.brokenId === null
        ? `BROKEN: ${result.reason}`
        : `BROKEN at entry ${result.brokenId}: ${result.reason} (${result.count} entries before it verify)`,
    );
    return 1;
  },

  keys(args) {
    const [sub, ...rest] = args;
    if (sub !== "rotate") throw new UsageError(`unknown keys command: ${sub ?? "(none)"}; try: kabinet keys rotate`);
    const { values } = parse(rest, { "new-key-file": { type: "string" } });
    const newKeyFile = values["new-key-file"];
    if (typeof newKeyFile !== "string") throw new UsageError("keys rotate needs --new-key-file PATH");
    const config = configure();
    const log = createLogger(config.logLevel);
    const parsed = parseMasterKey(readSecretFile("--new-key-file", newKeyFile));
    if (!parsed.ok) throw new StartupError(`--new-key-file ${newKeyFile} ${parsed.problem}; it must hold 32 random bytes in base64`);
    const next = parsed.value;
    const inst = openInstallation(config, log, { migrate: false, alsoAccept: [next], holdDataDirFor: "key rotation" });
    const result = rotateMasterKey(inst.db, [...inst.masterKeys, next], next, {
      onBatch: (p) => console.log(`re-wrapped ${p.rewrapped}, ${p.remaining} to go`),
    });
    inst.db.transaction((tx) => {
      recordAudit(tx, inst.vault, { actor: "cli", action: "keys.rotate", details: { newKeyId: next.id, rewrapped: result.rewrapped } });
    });
    closeAfterWriting(inst);
    console.log(
      `All data keys are now wrapped by master key ${next.id} (${result.rewrapped} re-wrapped).\n` +
        `Next: start the server with KABINET_MASTER_KEY_FILE=${newKeyFile}. Keep the old key as long as you keep ` +
        `backups made before now: they can only be opened with it.`,
    );
    return 0;
  },

  retention(args) {
    const [sub, ...rest] = args;
    if (sub !== "run") throw new UsageError(`unknown retention command: ${sub ?? "(none)"}; try: kabinet retention run`);
    parse(rest, {});
    const inst = openInstallation(configure(), createLogger("warn"));
    const report = runRetention(inst, "cli");
    closeAfterWriting(inst);
    console.log(describeRetentionRun(report));
    return 0;
  },

  async backup(args) {
    parse(args, {});
    const config = configure();
    return await backupCommand(config, createLogger("warn"));
  },

  async restore(args) {
    const { values, positionals } = parseWithFile(args, { force: { type: "boolean" } });
    if (positionals.length !== 1) throw new UsageError("restore needs the backup file, e.g. kabinet restore /backups/kabinet-2026-12-03T02-00-00Z.kbk");
    return await restoreCommand(configure(), positionals[0]!, values.force === true, Date.now());
  },

  admin(args) {
    const [sub, ...rest] = args;
    if (sub !== "create") throw new UsageError(`unknown admin command: ${sub ?? "(none)"}; try: kabinet admin create`);
    const { values } = parse(rest, { email: { type: "string" }, name: { type: "string" } });
    const email = emailSchema.safeParse(values.email ?? "");
    const name = nameSchema.safeParse(values.name ?? "");
    if (!email.success) throw new UsageError("admin create needs --email with an email address, e.g. --email admin@example.org");
    if (!name.success) throw new UsageError('admin create needs --name with the person\'s name (1–120 characters), e.g. --name "Anna Petrova"');
    const config = configure();
    const inst = openInstallation(config, createLogger("warn"));
    inst.db.transaction((tx) => ensureDefaultSettings(tx), { behavior: "immediate" });
    const result = invitePerson(inst, { email: email.data, name: name.data, role: "admin" }, "cli");
    closeAfterWriting(inst);
    if (result.kind === "email-taken") {
      process.stderr.write("kabinet: someone with this email already exists\n");
      return 1;
    }
    console.log(
      `Administrator created. Open this link within 72 hours to set the password and two-factor sign-in:\n` +
        `${linkUrl(config.publicUrl, result.token)}\nThe link works once. Treat it like a password.`,
    );
    return 0;
  },

  async health(args) {
    parse(args, {});
    const { listen } = loadConfig();
    const host = listen.hostname === "0.0.0.0" || listen.hostname === "::" ? "127.0.0.1" : listen.hostname;
    try {
      const r = await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${listen.port}/livez`, { signal: AbortSignal.timeout(2000) });
      return r.ok ? 0 : 1;
    } catch {
      return 1;
    }
  },

  async doctor(args) {
    const { values } = parse(args, { ca: { type: "string" }, json: { type: "boolean" } });
    return await doctorCommand({ caFile: values.ca ?? null, json: values.json === true });
  },

  help() {
    process.stdout.write(USAGE);
    return 0;
  },
};

let configuredDataDir = "./data";

/** Loads the configuration and remembers the data dir, so a failure later can name it. */
function configure(): Config {
  const config = loadConfig();
  configuredDataDir = config.dataDir;
  return config;
}

/** Records the audit head the command's entries moved, then closes the database. */
function closeAfterWriting(inst: Installation): void {
  try {
    const result = inst.auditHead.checkAndRecord(inst.clock.now());
    if (!result.ok) process.stderr.write("kabinet: warning: the audit log does not verify; run `kabinet audit verify`\n");
  } catch (err) {
    // What the command did is committed and must still be reported (an admin's one-time link above all).
    process.stderr.write(`kabinet: warning: the audit head could not be recorded (${(err as NodeJS.ErrnoException).code ?? (err as Error).name}); the next start records it\n`);
  } finally {
    inst.db.$client.close();
  }
}

function parse<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parseWithFile<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  process.umask(0o077); // everything Kabinet creates (database, WAL, keys, files) is readable by its own user only
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h") return COMMANDS.help!([]);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (!command) throw new UsageError(`unknown command: ${name}`);
    return await command(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`kabinet: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError || err instanceof StartupError) {
      process.stderr.write(`kabinet: ${err.message}\n`);
      return 1;
    }
    const explained = explainFailure(err, configuredDataDir);
    if (explained) {
      process.stderr.write(`kabinet: ${explained}\n`);
      return 1;
    }
    throw err;
  }
}

process.exit(await main(process.argv.slice(2)));
