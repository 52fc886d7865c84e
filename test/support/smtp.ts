// A real SMTP server on loopback: Debian's python3-aiosmtpd writing every message into a Maildir, read back and
// parsed by Python's own email package (an independent MIME parser, not ours).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitForPort } from "./processes.ts";
import { tempDir } from "./installation.ts";

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  messageId: string;
  text: string;
  attachments: { filename: string; contentType: string; content: string }[];
}

const PARSE = `
import email, email.policy, json, mailbox, sys
out = []
for key, msg in sorted(mailbox.Maildir(sys.argv[1], create=False).items(), key=lambda kv: (kv[1].get_date(), kv[0])):
    m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    body = m.get_body(preferencelist=("plain",))
    atts = [{"filename": a.get_filename() or "", "contentType": a.get_content_type(), "content": a.get_content()} for a in m.iter_attachments()]
    out.append({"to": str(m["To"]), "from": str(m["From"]), "subject": str(m["Subject"]), "messageId": str(m["Message-ID"]), "text": body.get_content() if body else "", "attachments": atts})
print(json.dumps(out))
`;

export interface SmtpServer {
  url: string;
  port: number;
  messages(): ReceivedMail[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSmtp(): Promise<SmtpServer> {
  const dir = join(tempDir("kabinet-smtp-"), "Maildir");
  for (const sub of ["new", "cur", "tmp"]) mkdirSync(join(dir, sub), { recursive: true });
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const server: SmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages() {
      const r = Bun.spawnSync(["/usr/bin/python3", "-c", PARSE, dir], { stdout: "pipe", stderr: "pipe" });
      if (r.exitCode !== 0) throw new Error(`maildir parse failed: ${r.stderr.toString()}`);
      return JSON.parse(r.stdout.toString()) as ReceivedMail[];
    },
    async start() {
      proc = Bun.spawn(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "aiosmtpd.handlers.Mailbox", dir], { stdout: "ignore", stderr: "pipe" });
      await waitForPort(port);
    },
    async stop() {
      proc?.kill();
      await proc?.exited;
      proc = null;
    },
  };
  await server.start();
  return server;
}
