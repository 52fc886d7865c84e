// A real SMTP server on loopback: Debian's python3-aiosmtpd writing every message into a Maildir, read back and
// parsed by Python's own email package (an independent MIME parser, not ours). A test can make it refuse a recipient
// for good (550) or turn messages away for now (451 after reading them, kept aside to compare with later attempts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitForPort } from "./processes.ts";
import { tempDir } from "./installation.ts";

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  messageId: string;
  text: string;
  attachments: { filename: string; contentType: string; content: string; contentTypeHeader: string; bytesBase64: string }[];
}

const PARSE = `
import base64, email, email.policy, json, mailbox, sys
out = []
for key, msg in sorted(mailbox.Maildir(sys.argv[1], create=False).items(), key=lambda kv: (kv[1].get_date(), kv[0])):
    m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    body = m.get_body(preferencelist=("plain",))
    atts = [{"filename": a.get_filename() or "", "contentType": a.get_content_type(), "content": a.get_content(), "contentTypeHeader": str(a["Content-Type"]), "bytesBase64": base64.b64encode(a.get_payload(decode=True)).decode()} for a in m.iter_attachments()]
    out.append({"to": str(m["To"]), "from": str(m["From"]), "subject": str(m["Subject"]), "messageId": str(m["Message-ID"]), "text": body.get_content() if body else "", "attachments": atts})
print(json.dumps(out))
`;

// The handler: aiosmtpd's Mailbox, with refusals read from a rules file the test writes.
const HANDLER = `
import json, mailbox, os
from aiosmtpd.handlers import Mailbox

class Handler(Mailbox):
    def __init__(self, mail_dir, refused_dir, rules):
        super().__init__(mail_dir)
        self.refused = mailbox.Maildir(refused_dir)
        self.rules = rules

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(*args)

    def read_rules(self):
        try:
            with open(self.rules) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.read_rules().get("reject", []):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        rules = self.read_rules()
        if rules.get("deferData", 0) > 0:
            rules["deferData"] -= 1
            with open(self.rules, "w") as f:
                json.dump(rules, f)
            self.refused.add(envelope.original_content)
            return "451 4.3.0 Temporary failure, try again later"
        return await super().handle_DATA(server, session, envelope)
`;

export interface SmtpServer {
  url: string;
  port: number;
  messages(): ReceivedMail[];
  /** Messages the server read and then turned away with 451 (see deferData). */
  deferred(): ReceivedMail[];
  /** Refuse these recipients from now on with 550 (user unknown). */
  rejectRecipients(emails: string[]): void;
  /** Answer the next `count` messages with 451 after reading them. */
  deferData(count: number): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSmtp(): Promise<SmtpServer> {
  const base = tempDir("kabinet-smtp-");
  const dir = join(base, "Maildir");
  const refusedDir = join(base, "Refused");
  const rulesFile = join(base, "rules.json");
  for (const d of [dir, refusedDir]) for (const sub of ["new", "cur", "tmp"]) mkdirSync(join(d, sub), { recursive: true });
  writeFileSync(join(base, "kabinet_test_smtp.py"), HANDLER);
  // The server counts deferData down in the same file: read it afresh before each change.
  const changeRules = (change: (r: { reject: string[]; deferData: number }) => void) => {
    const rules = existsSync(rulesFile) ? JSON.parse(readFileSync(rulesFile, "utf8")) : { reject: [], deferData: 0 };
    change(rules);
    writeFileSync(rulesFile, JSON.stringify(rules));
  };
  const read = (maildir: string) => {
    const r = Bun.spawnSync(["/usr/bin/python3", "-c", PARSE, maildir], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`maildir parse failed: ${r.stderr.toString()}`);
    return JSON.parse(r.stdout.toString()) as ReceivedMail[];
  };
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  const server: SmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages: () => read(dir),
    deferred: () => read(refusedDir),
    rejectRecipients: (emails) => changeRules((r) => r.reject.push(...emails.map((e) => e.toLowerCase()))),
    deferData: (count) => changeRules((r) => (r.deferData = count)),
    async start() {
      proc = Bun.spawn(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`, "-c", "kabinet_test_smtp.Handler", dir, refusedDir, rulesFile], {
        stdout: "ignore",
        stderr: "pipe",
        env: { ...process.env, PYTHONPATH: base },
      });
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
