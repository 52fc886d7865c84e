// The copy off the box: each new backup uploaded to an SFTP directory, then the same retention rule applied there.
// The server must show the host key whose SHA-256 fingerprint is configured (as `ssh-keygen -lf` prints it): anything
// else is refused before a byte is sent, since an impostor would otherwise collect every backup. Uploads go to
// `<name>.part` and are renamed when complete, so the remote dir never holds a half backup under a backup's name.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { SFTPWrapper } from "ssh2";
import type { Config } from "../config.ts";
import { backupsToDelete } from "./retention.ts";

type Sftp = NonNullable<Config["backup"]["sftp"]>;

export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** Uploads `path` and prunes the remote dir; never throws: the problem in one line for the admin. */
export async function copyOffsite(sftp: Sftp, path: string, keep: Config["backup"]["keep"], timeoutMs = 60_000): Promise<{ ok: true } | { ok: false; problem: string }> {
  const url = sftp.url;
  const where = `${url.hostname}:${url.port || 22}`;
  const wanted = sftp.hostKey.trim().replace(/=+$/, "");
  let offered: string | null = null;
  // Loaded on first use: most installations never copy off the box, and the server starts faster without it.
  const { Client } = await import("ssh2");
  const client = new Client();
  try {
    await new Promise<void>((resolve, reject) => {
      client.on("ready", () => resolve());
      client.on("error", (err) => reject(err));
      client.connect({
        host: url.hostname.replace(/^\[|\]$/g, ""),
        port: Number(url.port || 22),
        username: decodeURIComponent(url.username || "kabinet"),
        privateKey: readFileSync(sftp.keyFile),
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          offered = hostKeyFingerprint(key);
          return offered === wanted;
        },
      });
    });
    const session = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
    const dir = decodeURIComponent(url.pathname).replace(/\/+$/, "") || ".";
    const name = basename(path);
    const remote = `${dir}/${name}`;
    await call<void>((cb) => session.fastPut(path, `${remote}.part`, cb));
    await call<void>((cb) => session.rename(`${remote}.part`, remote, cb));
    const names = (await call<{ filename: string }[]>((cb) => session.readdir(dir, cb))).map((e) => e.filename);
    for (const doomed of backupsToDelete(names, keep)) await call<void>((cb) => session.unlink(`${dir}/${doomed}`, cb));
    return { ok: true };
  } catch (err) {
    if (offered !== null && offered !== wanted) {
      return {
        ok: false,
        problem: `the SFTP server ${where} showed host key ${offered}, not KABINET_BACKUP_SFTP_HOST_KEY ${wanted}: refused. If its key changed on purpose, set the new fingerprint (ssh-keygen -lf on its host key)`,
      };
    }
    const message = String((err as Error)?.message ?? err).split("\n")[0] ?? "";
    if (/authentication methods failed/i.test(message)) return { ok: false, problem: `the SFTP server ${where} refused the key in KABINET_BACKUP_SFTP_KEY_FILE: add its public key to the server's authorized_keys` };
    return { ok: false, problem: `copying the backup to ${where} failed: ${message}` };
  } finally {
    client.end();
  }
}

function call<T>(start: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value as T))));
}
