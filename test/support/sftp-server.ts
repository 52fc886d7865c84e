// The organisation's backup server in tests: a real OpenSSH sshd on loopback (Debian openssh-server; it needs root
// for its privilege separation, as the test machine and CI run), its own host key, one authorized client key for
// root, no passwords, SFTP by internal-sftp (or another subsystem command, to play a server that never answers).
import type { Subprocess } from "bun";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./processes.ts";

export interface SftpServer {
  port: number;
  user: "root";
  /** The private key the server accepts. */
  clientKey: string;
  /** The host key's fingerprint as `ssh-keygen -lf` prints it (KABINET_BACKUP_SFTP_HOST_KEY). */
  hostKeyFingerprint: string;
  process: Subprocess;
}

export function sshKey(path: string): void {
  const r = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kabinet-test", "-f", path], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
}

export function sshFingerprint(publicKeyFile: string): string {
  return Bun.spawnSync(["ssh-keygen", "-lf", publicKeyFile]).stdout.toString().split(" ")[1]!;
}

/** Starts sshd with its files in `dir` (keys made there once) and waits until it listens. */
export async function startSftpServer(dir: string, options: { subsystem?: string; name?: string } = {}): Promise<SftpServer> {
  const name = options.name ?? "sshd";
  const port = await freePort();
  try {
    readFileSync(join(dir, "host_key"));
  } catch {
    sshKey(join(dir, "host_key"));
    sshKey(join(dir, "client_key"));
    writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client_key.pub")));
  }
  const config = join(dir, `${name}_config`);
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_key")}`,
      `PidFile ${join(dir, `${name}.pid`)}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      `Subsystem sftp ${options.subsystem ?? "internal-sftp"}`,
      "",
    ].join("\n"),
  );
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
  const sshd = Bun.spawn(["/usr/sbin/sshd", "-D", "-e", "-f", config], { stdout: "ignore", stderr: Bun.file(join(dir, `${name}.log`)) });
  for (let i = 0; i < 200; i++) {
    const probe = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).catch(() => null);
    if (probe) {
      probe.end();
      return { port, user: "root", clientKey: join(dir, "client_key"), hostKeyFingerprint: sshFingerprint(join(dir, "host_key.pub")), process: sshd };
    }
    if (sshd.exitCode !== null) throw new Error(`sshd exited: ${readFileSync(join(dir, `${name}.log`), "utf8")}`);
    await Bun.sleep(50);
  }
  sshd.kill();
  throw new Error("sshd did not listen within 10 s");
}
