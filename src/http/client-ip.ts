import { isIPv4, isIPv6 } from "node:net";
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/**
 * The client's address, for throttling. Behind a trusted proxy (Caddy) it is the last X-Forwarded-For entry, the one
 * the proxy itself added; entries before it come from the client and could be forged. An IPv6 client counts as its
 * /64 network (see throttleAddress).
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return throttleAddress(forwarded);
  }
  try {
    return throttleAddress(getConnInfo(c).remote.address ?? "unknown");
  } catch {
    return "in-process"; // app.request() in tests has no socket
  }
}

/**
 * What one client is, as far as counting goes: an IPv4 address as it is (also when written IPv4-mapped, ::ffff:a.b.c.d),
 * an IPv6 address as its /64 network. A subscriber is routinely given a whole /64, so counting full IPv6 addresses
 * would hand one attacker 2^64 fresh counters.
 */
export function throttleAddress(address: string): string {
  const plain = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(plain)) return address;
  const groups = expandIPv6(plain);
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address ("::" expanded, an IPv4 tail turned into two groups). */
function expandIPv6(address: string): number[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const part = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
