// The copy off the box: each new backup uploaded to an SFTP directory, then the same retention rule applied there.
// The server must show the host key whose SHA-256 fingerprint is configured (as `ssh-keygen -lf` prints it): anything
// else is refused before a byte is sent, since an impostor would otherwise collect every backup. Uploads go to
// `<name>.part` and are renamed when complete, so the remote dir never holds a half backup under a backup's name.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import type { SFTPWrapper } from "ssh2";
import type { Config } from "../config.ts";
import { backupsToDelete } from "./retention.ts";

type Sftp = NonNullable<Config["backup"]["sftp"]>;

export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** How long a copy may take before it is given up: a floor for the connection, plus the file at a slow link's rate. */
export interface OffsiteLimits {
  floorMs: number;
  bytesPerSecond: number;
  /** Between SSH keepalives; a server that misses `keepaliveCountMax` (4) in a row is dropped. */
  keepaliveMs: number;
}

export const OFFSITE_LIMITS: OffsiteLimits = { floorMs: 120_000, bytesPerSecond: 256 * 1024, keepaliveMs: 15_000 };

/** The whole copy's deadline for a file of `bytes` (1 GiB: about 70 minutes). */
export function offsiteDeadlineMs(bytes: number, limits: OffsiteLimits = OFFSITE_LIMITS): number {
  return limits.floorMs + Math.ceil((bytes / limits.bytesPerSecond) * 1000);
}

/**
 * Uploads `path` and prunes the remote dir; never throws: the problem in one line for the admin. A server that
 * stalls (accepts the connection, then goes silent) would otherwise hold the copy forever, since ssh2 times out
 * nothing after the handshake: the whole copy has one deadline, and `signal` (the server stopping) cuts it short.
 */
export async function copyOffsite(
  sftp: Sftp,
  path: string,
  keep: Config["backup"]["keep"],
  o: { limits?: OffsiteLimits; signal?: AbortSignal } = {},
): Promise<{ ok: true } | { ok: false; problem: string }> {
  const url = sftp.url;
  const where = `${url.hostname}:${url.port || 22}`;
  const wanted = sftp.hostKey.trim().replace(/=+$/, "");
  const limits = o.limits ?? OFFSITE_LIMITS;
  let offered: string | null = null;
  let deadlineMs: number;
  try {
    deadlineMs = offsiteDeadlineMs(statSync(path).size, limits);
  } catch (err) {
    return { ok: false, problem: `copying the backup to ${where} failed: ${(err as Error).message.split("\n")[0]}` };
  }
  // Loaded on first use: most installations never copy off the box, and the server starts faster without it.
  const { Client } = await import("ssh2");
  const client = new Client();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  // Rejects when the deadline passes or the server stops; every step races it, and the client is destroyed so no
  // socket is left behind (ssh2 does not call pending SFTP callbacks when the connection just goes quiet).
  const cutShort = new Promise<never>((_, reject) => {
    const giveUp = (problem: string) => {
      client.destroy();
      reject(new OffsiteStopped(problem));
    };
    timer = setTimeout(
      () => giveUp(`the SFTP server ${where} did not finish the copy within ${Math.round(deadlineMs / 1000)} s (it stopped answering): check the server and the network to it`),
      deadlineMs,
    );
    onAbort = () => giveUp(`the copy to ${where} was stopped because the server stopped; the next backup copies again`);
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
  });
  cutShort.catch(() => {});
  const step = <T>(p: Promise<T>): Promise<T> => Promise.race([p, cutShort]);
  try {
    await step(
      new Promise<void>((resolve, reject) => {
        client.on("ready", () => resolve());
        client.on("error", (err) => reject(err));
        client.on("close", () => reject(new Error("the connection closed")));
        client.connect({
          host: url.hostname.replace(/^\[|\]$/g, ""),
          port: Number(url.port || 22),
          username: decodeURIComponent(url.username || "kabinet"),
          privateKey: readFileSync(sftp.keyFile),
          readyTimeout: Math.min(deadlineMs, 60_000),
          keepaliveInterval: limits.keepaliveMs,
          keepaliveCountMax: 4,
          hostVerifier: (key: Buffer) => {
            offered = hostKeyFingerprint(key);
            return offered === wanted;
          },
        });
      }),
    );
    const session = await step(new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s)))));
    const dir = decodeURIComponent(url.pathname).replace(/\/+$/, "") || ".";
    const name = basename(path);
    const remote = `${dir}/${name}`;
    await step(call<void>((cb) => session.fastPut(path, `${remote}.part`, cb)));
    await step(call<void>((cb) => session.rename(`${remote}.part`, remote, cb)));
    const names = (await step(call<{ filename: string }[]>((cb) => session.readdir(dir, cb)))).map((e) => e.filename);
    for (const doomed of backupsToDelete(names, keep)) await step(call<void>((cb) => session.unlink(`${dir}/${doomed}`, cb)));
    return { ok: true };
  } catch (err) {
    if (err instanceof OffsiteStopped) return { ok: false, problem: err.message };
    if (offered !== null && offered !== wanted) {
      return {
        ok: false,
        problem: `the SFTP server ${where} showed host key ${offered}, not KABINET_BACKUP_SFTP_HOST_KEY ${wanted}: refused. If its key changed on purpose, set the new fingerprint (ssh-keygen -lf on its host key)`,
      };
    }
    const message = String((err as Error)?.message ?? err).split("\n")[0] ?? "";
    if (/authentication methods failed/i.test(message)) return { ok: false, problem: `the SFTP server ${where} refused the key in KABINET_BACKUP_SFTP_KEY_FILE: add its public key to the server's authorized_keys` };
    if (/timed out while waiting for handshake/i.test(message)) {
      return { ok: false, problem: `the SFTP server ${where} accepted the connection but did not complete the SSH handshake: check that an SSH server (not something else) answers there` };
    }
    return { ok: false, problem: `copying the backup to ${where} failed: ${message}` };
  } finally {
    clearTimeout(timer);
    if (onAbort) o.signal?.removeEventListener("abort", onAbort);
    client.end();
    client.destroy();
  }
}

class OffsiteStopped extends Error {}

function call<T>(start: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}
