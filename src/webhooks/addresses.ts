// Which IP addresses a webhook may be sent to. Pure: the SSRF guard (guard.ts) resolves a host and asks this about
// every address it got.
//
// Refused: anything that reaches the appliance itself or the organisation's own network (loopback, private, link-local,
// unique-local, carrier-grade NAT), addresses that are no single host (unspecified, multicast, broadcast), reserved
// and documentation ranges, and the cloud metadata services. An IPv6 address that carries an IPv4 one (mapped,
// compatible, NAT64, 6to4) is judged by the IPv4 address inside, so `::ffff:10.0.0.1` is as private as `10.0.0.1`.
// The admin may allow one named internal host per endpoint: that lifts the "own network" refusals only, never the
// metadata, multicast, unspecified or reserved ones.

export type AddressKind =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "unique-local"
  | "cgnat"
  | "metadata"
  | "unspecified"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "invalid";

/** The kinds an admin's internal-host allowance lets through: the organisation's own network. */
export const INTERNAL_KINDS: ReadonlySet<AddressKind> = new Set(["loopback", "private", "link-local", "unique-local", "cgnat"]);

/** Cloud metadata services (AWS, GCP, Azure, Oracle, Alibaba, AWS over IPv6): refused even for an internal host. */
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "192.0.0.192", "100.100.100.200", "fd00:ec2:0:0:0:0:0:254"]);

type V4Range = [base: string, bits: number, kind: AddressKind];

const V4_RANGES: V4Range[] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "cgnat"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "broadcast"],
  ["240.0.0.0", 4, "reserved"],
];

/** What kind of address this is; "invalid" when it is not an IP address at all. */
export function classifyAddress(text: string): AddressKind {
  const address = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseIPv4(address);
  if (v4 !== null) return classifyIPv4(v4);
  const v6 = parseIPv6(address);
  return v6 === null ? "invalid" : classifyIPv6(v6);
}

function classifyIPv4(n: number): AddressKind {
  if (METADATA.has(formatIPv4(n))) return "metadata";
  for (const [base, bits, kind] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if (((n & mask) >>> 0) === parseIPv4(base)) return kind;
  }
  return "public";
}

function classifyIPv6(b: Uint8Array): AddressKind {
  const word = (i: number) => (b[i * 2]! << 8) | b[i * 2 + 1]!;
  const v4At = (offset: number) => ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
  const zeroUpTo = (n: number) => b.subarray(0, n).every((x) => x === 0);
  if (METADATA.has(formatIPv6Words(b))) return "metadata";
  if (zeroUpTo(16)) return "unspecified";
  if (zeroUpTo(15) && b[15] === 1) return "loopback";
  if (zeroUpTo(10) && word(5) === 0xffff) return classifyIPv4(v4At(12)); // IPv4-mapped ::ffff:a.b.c.d
  if (zeroUpTo(12)) return classifyIPv4(v4At(12)); // IPv4-compatible ::a.b.c.d (deprecated)
  if (word(0) === 0x64 && word(1) === 0xff9b && b.subarray(4, 12).every((x) => x === 0)) return classifyIPv4(v4At(12)); // NAT64
  if (word(0) === 0x64 && word(1) === 0xff9b && word(2) === 1) return "private"; // local-use NAT64 (RFC 8215)
  if (word(0) === 0x2002) return classifyIPv4(v4At(2)); // 6to4
  if (word(0) === 0x2001 && word(1) === 0) return "reserved"; // Teredo: the IPv4 inside is obfuscated
  if (word(0) === 0x2001 && word(1) === 0xdb8) return "reserved"; // documentation
  if (word(0) === 0x100 && b.subarray(2, 8).every((x) => x === 0)) return "reserved"; // discard prefix
  if ((b[0]! & 0xfe) === 0xfc) return "unique-local";
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "link-local";
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return "private"; // site-local (deprecated)
  if (b[0] === 0xff) return "multicast";
  return "public";
}

/** Dotted quad only (no octal, hex or short forms: those are for a URL parser to normalise first). */
function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function parseIPv6(text: string): Uint8Array | null {
  const zone = text.indexOf("%");
  const s = (zone >= 0 ? text.slice(0, zone) : text).toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(s) || s.split("::").length > 2) return null;
  const words: number[] = [];
  const parseGroups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4(g);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const [head, tail] = s.split("::") as [string, string | undefined];
  const h = parseGroups(head);
  const t = tail === undefined ? [] : parseGroups(tail);
  if (!h || !t) return null;
  if (tail === undefined) {
    if (h.length !== 8) return null;
    words.push(...h);
  } else {
    if (h.length + t.length > 7) return null;
    words.push(...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 255;
  });
  return bytes;
}

function formatIPv6Words(b: Uint8Array): string {
  return Array.from({ length: 8 }, (_, i) => ((b[i * 2]! << 8) | b[i * 2 + 1]!).toString(16)).join(":");
}
