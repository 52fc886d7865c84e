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
  // The TCP URL only, for now: the media server itself still allocates on the relay for every connection (werift gets
  // the ICE servers too), and its allocation over TURN/UDP, blocked here, delays each answer so long that the call
  // client pauses video (seen: audio only). Once the media server no longer uses the relay, hand out both URLs here,
  // as the appliance does (measured with that change: video decoded within 5 s).
  const urls = [`turn:127.0.0.1:${turn.port}?transport=tcp`];
  const call = await relayedCall(turn, { urls, relayOnly: false, screenshot: "turn-udp-blocked-guest-phone" });
  const dropped = Bun.spawnSync(["nft", "list", "chain", "inet", "blocked", "out"]).stdout.toString().match(/counter packets (\d+)/)?.[1];
  writeFileSync(out, JSON.stringify({ ...call, droppedUdpPackets: Number(dropped ?? 0) }));
} finally {
  await turn.stop();
}
process.exit(0);
