// Runs a consultation (test/support/relayed-call.ts) inside a network namespace that blocks UDP, as some hospital,
// hotel and corporate networks do: every UDP packet is dropped except those to or from the relay's own relay ports
// (coturn → media server, the leg that runs on the appliance's side). Browsers are NOT told to use the relay: they
// find out themselves that only TURN over TCP gets through. Must start as root inside `unshare -n`:
// `unshare -n bun test/support/udp-blocked-namespace.ts <result.json>`.
import { writeFileSync } from "node:fs";
import { startCoturn } from "./coturn.ts";
import { relayedCall } from "./relayed-call.ts";

const [out] = process.argv.slice(2) as [string];
if (!out) throw new Error("usage: udp-blocked-namespace.ts <result.json>");

function run(...cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
}

run("ip", "link", "set", "lo", "up");
const turn = await startCoturn({ allowedPeer: "127.0.0.1" });
try {
  const relay = `${turn.relayPorts[0]}-${turn.relayPorts[1]}`;
  run("nft", "add", "table", "inet", "blocked");
  run("nft", "add", "chain", "inet", "blocked", "out", "{ type filter hook output priority 0; }");
  run("nft", "add", "rule", "inet", "blocked", "out", "meta", "l4proto", "udp", "udp", "sport", "!=", relay, "udp", "dport", "!=", relay, "counter", "drop");
  // Both URLs, as the appliance hands out: the browsers find out themselves that only TURN over TCP gets through (the
  // media server uses no relay itself, so nothing on its side waits for the blocked TURN/UDP allocation).
  const urls = [`turn:127.0.0.1:${turn.port}?transport=udp`, `turn:127.0.0.1:${turn.port}?transport=tcp`];
  const call = await relayedCall(turn, { urls, relayOnly: false, screenshot: "turn-udp-blocked-guest-phone" });
  const dropped = Bun.spawnSync(["nft", "list", "chain", "inet", "blocked", "out"]).stdout.toString().match(/counter packets (\d+)/)?.[1];
  writeFileSync(out, JSON.stringify({ ...call, droppedUdpPackets: Number(dropped ?? 0) }));
} finally {
  await turn.stop();
}
process.exit(0);
