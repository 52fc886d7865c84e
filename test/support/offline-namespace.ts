// Runs a test file inside a network namespace that can reach nothing, yet watches everything that tries to leave:
// loopback for the local traffic, a veth link as the default route (so a packet for any other address is actually
// emitted, and captured with tcpdump), and /etc/resolv.conf bound to a DNS stub on 127.0.0.53 that records every name
// asked for and answers each with a documentation address (198.51.100.7), so a lookup goes on to send its packet.
// Must start as root inside `unshare -mn`: `unshare -mn bun test/support/offline-namespace.ts <out-dir> <test-file>`.
// Writes <out-dir>/result.json: the test's exit code and output, the DNS names asked, the packets that left.
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const [outDir, testFile] = process.argv.slice(2) as [string, string];
const root = join(import.meta.dir, "../..");

function run(...cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
}

// No IPv6 (its link-local chatter would be noise); the default route points at a neighbour that does not exist.
run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
run("ip", "link", "set", "lo", "up");
run("ip", "link", "add", "egress0", "type", "veth", "peer", "name", "egress1");
run("ip", "link", "set", "egress1", "up");
run("ip", "link", "set", "egress0", "up");
run("ip", "route", "add", "default", "via", "192.0.2.2", "dev", "egress0", "onlink");
run("ip", "neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev", "egress0", "nud", "permanent");
const resolv = join(outDir, "resolv.conf");
writeFileSync(resolv, "nameserver 127.0.0.53\n");
run("mount", "--bind", resolv, "/etc/resolv.conf");

const asked: string[] = [];
const dns = createSocket("udp4");
dns.on("error", () => {}); // a resolver that gave up before the answer: nothing to do
dns.on("message", (query, from) => {
  const { name, type, end } = readQuestion(query);
  asked.push(name);
  const answer = type === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7]) : Buffer.alloc(0);
  const header = Buffer.from([query[0]!, query[1]!, 0x81, 0x80, 0, 1, 0, answer.length ? 1 : 0, 0, 0, 0, 0]);
  dns.send(Buffer.concat([header, query.subarray(12, end), answer]), from.port, from.address);
});
await new Promise<void>((resolve) => dns.bind(53, "127.0.0.53", resolve));

const capture = Bun.spawn(["tcpdump", "-i", "egress0", "-n", "-l", "-U"], { stdout: "pipe", stderr: "pipe" });
const egress: string[] = [];
void (async () => {
  for await (const chunk of capture.stdout.pipeThrough(new TextDecoderStream())) egress.push(...chunk.split("\n").filter(Boolean));
})();
const reader = capture.stderr.pipeThrough(new TextDecoderStream()).getReader();
for (let seen = ""; !seen.includes("listening on"); ) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`tcpdump did not start: ${seen}`);
  seen += value;
}

const test = Bun.spawnSync([process.execPath, "test", "--timeout", "120000", testFile], { cwd: root, stdout: "pipe", stderr: "pipe" });
await Bun.sleep(1000); // what was sent last reaches the capture
capture.kill("SIGTERM");
await capture.exited;
dns.close();
const output = test.stdout.toString() + test.stderr.toString();
writeFileSync(join(outDir, "result.json"), JSON.stringify({ exitCode: test.exitCode, output, dnsQueries: asked, egress }));

function readQuestion(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString());
    i += msg[i]! + 1;
  }
  return { name: labels.join("."), type: msg.readUInt16BE(i + 1), end: i + 5 };
}
