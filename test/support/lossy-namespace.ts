// Runs the browser network check (test/support/network-check-browser.ts) inside a network namespace whose loopback
// loses a share of all UDP packets (the media path; TCP for the page and the offer is left whole, since Chromium gave up
// on a page load now and then at 25 % TCP loss), server and Chromium both inside it. Must start as root inside `unshare -n`:
// `unshare -n bun test/support/lossy-namespace.ts <result.json> <loss percent>`.
// The loss is an nftables rule on the output hook (every packet crosses it once, as with `tc qdisc … netem loss` on
// lo): this kernel has no netem qdisc, and nftables' `numgen random` drops the same share.
import { writeFileSync } from "node:fs";
import { checkInChromium } from "./network-check-browser.ts";

const [out, percent] = process.argv.slice(2) as [string, string];
if (!/^(\d{1,2}|100)$/.test(percent ?? "")) throw new Error("usage: lossy-namespace.ts <result.json> <loss percent>");

function run(...cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString()}`);
}

run("ip", "link", "set", "lo", "up");
run("nft", "add", "table", "inet", "lossy");
run("nft", "add", "chain", "inet", "lossy", "out", "{ type filter hook output priority 0; }");
const share = percent === "100" ? [] : ["numgen", "random", "mod", "100", "lt", percent];
run("nft", "add", "rule", "inet", "lossy", "out", "meta", "l4proto", "udp", ...share, "drop");

const seen = await checkInChromium({ screenshot: `network-check-loss-${percent}-phone` });
writeFileSync(out, JSON.stringify(seen));
process.exit(0);
