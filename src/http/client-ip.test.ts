import { expect, test } from "bun:test";
import { throttleAddress } from "./client-ip.ts";

test("an IPv6 client counts as its /64; IPv4, also IPv4-mapped, as itself", () => {
  const cases: [string, string][] = [
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["[2001:db8:1:2:3:4:5:6]", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["2001:db8::", "2001:db8:0:0::/64"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["192.0.2.1", "192.0.2.1"],
    ["in-process", "in-process"],
  ];
  for (const [address, key] of cases) expect([address, throttleAddress(address)]).toEqual([address, key]);
});
