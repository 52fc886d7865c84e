import { describe, expect, test } from "bun:test";
import {
  CallKeys,
  KEEP_OLD_MS,
  type KeyEvent,
  kidOf,
  MAX_E2EE_BODY_CHARS,
  type Outgoing,
  ratchetKey,
  splitKid,
  SWITCH_DELAY_MS,
} from "./keys.ts";

// Several CallKeys connected through a relay that plays the server: it delivers each Outgoing as receive(from, body)
// after a JSON round trip, and a test may make it drop, repeat, reorder, reroute or rewrite messages.

const ROOM = "room-7";
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

class Clock {
  private at = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; run: () => void }>();
  setTimeout = (run: () => void, ms: number): number => {
    this.due.set(++this.seq, { at: this.at + ms, run });
    return this.seq;
  };
  clearTimeout = (id: number): void => {
    this.due.delete(id);
  };
  async advance(ms: number): Promise<void> {
    const until = this.at + ms;
    for (;;) {
      const next = [...this.due.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.due.delete(next[0]);
      this.at = next[1].at;
      next[1].run();
      await new Promise((r) => setTimeout(r, 5)); // the timer's work runs through the instance's queue
    }
    this.at = until;
  }
}

interface Wire {
  from: string;
  to: string;
  body: unknown;
}

interface Node {
  name: string;
  /** The person id this node's messages are stamped with. */
  as: string;
  keys: CallKeys;
  events: KeyEvent[];
}

class Relay {
  readonly nodes = new Map<string, Node>();
  readonly clock = new Clock();
  inbox: Wire[] = [];
  readonly delivered: Wire[] = [];
  /** What the server does with a message: [] drops it, two copies repeat it, a changed copy substitutes. */
  tap: (w: Wire) => Wire[] = (w) => [w];
  /** Which node receives a message sent by `from` (a node name) to the person `to`. */
  route: (from: string, to: string) => string = (_from, to) => to;
  shuffle = false;

  async add(name: string, as = name): Promise<Node> {
    const keys = await CallKeys.create(ROOM, as, { setTimeout: this.clock.setTimeout, clearTimeout: this.clock.clearTimeout });
    const node: Node = { name, as, keys, events: [] };
    keys.onEvent = (e) => node.events.push(e);
    this.nodes.set(name, node);
    return node;
  }

  post(fromNode: string, outs: Outgoing[]): void {
    for (const o of outs) {
      const json = JSON.stringify(o.body);
      expect(json.length).toBeLessThanOrEqual(MAX_E2EE_BODY_CHARS);
      const node = this.nodes.get(fromNode)!;
      for (const w of this.tap({ from: node.as, to: o.to, body: JSON.parse(json) })) {
        this.inbox.push({ ...w, to: this.route(fromNode, w.to) });
      }
    }
  }

  async list(ids: string[], nodes: string[] = ids): Promise<void> {
    for (const n of nodes) this.post(n, await this.nodes.get(n)!.keys.setParticipants(ids));
  }

  async settle(): Promise<void> {
    for (let i = 0; this.inbox.length > 0; i++) {
      if (i > 2000) throw new Error("messages never stop: ping-pong");
      const at = this.shuffle ? Math.floor(Math.random() * this.inbox.length) : 0;
      const w = this.inbox.splice(at, 1)[0]!;
      const node = this.nodes.get(w.to);
      if (!node) continue;
      this.delivered.push(w);
      this.post(w.to, await node.keys.receive(w.from, w.body));
    }
  }

  node(name: string): Node {
    return this.nodes.get(name)!;
  }
}

type Of<T extends KeyEvent["type"]> = Extract<KeyEvent, { type: T }>;
const eventsOf = <T extends KeyEvent["type"]>(n: Node, type: T): Of<T>[] => n.events.filter((e): e is Of<T> => e.type === type);
const sending = (n: Node): Of<"sending-key"> => eventsOf(n, "sending-key").at(-1)!;
const codeFor = (n: Node, peer: string): string | undefined =>
  eventsOf(n, "code").filter((e) => e.personId === peer).at(-1)?.emoji.join("");
/** KID → key (hex) that `n` was handed for `peer` and not told to forget. */
function held(n: Node, peer: string): Map<bigint, string> {
  const m = new Map<bigint, string>();
  for (const e of n.events) {
    if (e.type === "receiving-key" && e.personId === peer) m.set(e.kid, hex(e.key));
    if (e.type === "forget" && e.personId === peer) for (const k of e.kids) m.delete(k);
  }
  return m;
}
const tampered = (n: Node): Of<"tampered">[] => eventsOf(n, "tampered");

async function call(names: string[]): Promise<Relay> {
  const relay = new Relay();
  for (const n of names) await relay.add(n);
  await relay.list(names);
  await relay.settle();
  return relay;
}

function expectPairReady(relay: Relay, a: string, b: string): void {
  const A = relay.node(a);
  const B = relay.node(b);
  expect(codeFor(A, b)).toBeDefined();
  expect(codeFor(A, b)).toBe(codeFor(B, a)!);
  expect(held(A, b).get(sending(B).kid)).toBe(hex(sending(B).key));
  expect(held(B, a).get(sending(A).kid)).toBe(hex(sending(A).key));
}

describe("key ids and the ratchet", () => {
  test("KID = epoch * 256 + step, and back", () => {
    expect(kidOf(3, 5)).toBe(773n);
    expect(splitKid(773n)).toEqual({ epoch: 3, step: 5 });
    expect(splitKid(kidOf(1_000_000, 255))).toEqual({ epoch: 1_000_000, step: 255 });
  });

  test("ratchetKey is HKDF-SHA256 with info KABINET-RATCHET-1 (vector from Python's hmac)", async () => {
    expect(hex(await ratchetKey(Uint8Array.from({ length: 16 }, (_, i) => i)))).toBe("a6b7959b77d3dd0ac70d275194f135f8");
  });
});

describe("meeting in a call", () => {
  test("two people see the same code and hold each other's sending key; the private key cannot be exported", async () => {
    const relay = await call(["alice", "bob"]);
    expectPairReady(relay, "alice", "bob");
    const A = relay.node("alice");
    expect(sending(A).kid).toBe(0n);
    expect(eventsOf(A, "code")).toHaveLength(1);
    expect(tampered(A)).toEqual([]);
    expect(tampered(relay.node("bob"))).toEqual([]);
    expect(await relay.node("bob").keys.receivingKey("alice", 0n)).toEqual(sending(A).key);
    expect(relay.delivered.length).toBeLessThanOrEqual(10);
    expect(A.keys.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect((Reflect.get(A.keys, "privateKey") as CryptoKey).extractable).toBe(false);
  });

  test("the first list hands out a sending key before anything else", async () => {
    const relay = new Relay();
    const A = await relay.add("alice");
    await A.keys.setParticipants(["alice"]);
    expect(A.events.map((e) => e.type)).toEqual(["sending-key"]);
  });

  test("repeated and reordered messages still converge to one code", async () => {
    for (let round = 0; round < 5; round++) {
      const relay = new Relay();
      relay.tap = (w) => [w, w];
      relay.shuffle = true;
      for (const n of ["alice", "bob"]) await relay.add(n);
      await relay.list(["alice", "bob"]);
      await relay.settle();
      expectPairReady(relay, "alice", "bob");
      expect(eventsOf(relay.node("alice"), "code")).toHaveLength(1);
      expect(eventsOf(relay.node("bob"), "code")).toHaveLength(1);
      expect([...tampered(relay.node("alice")), ...tampered(relay.node("bob"))]).toEqual([]);
    }
  });

  test("three people at once, each message repeated and reordered: every pair converges", async () => {
    for (let round = 0; round < 3; round++) {
      const relay = new Relay();
      relay.tap = (w) => [w, w];
      relay.shuffle = true;
      const names = ["alice", "bob", "carol"];
      for (const n of names) await relay.add(n);
      await relay.list(names);
      await relay.settle();
      for (const [a, b] of [["alice", "bob"], ["alice", "carol"], ["bob", "carol"]] as const) expectPairReady(relay, a, b);
      expect(names.flatMap((n) => tampered(relay.node(n)))).toEqual([]);
    }
  });

  test.each([
    ["key", "bob"],
    ["key", "alice"],
    ["commit", "bob"],
    ["commit", "alice"],
    ["nonce", "bob"],
    ["nonce", "alice"],
    ["reveal", "bob"],
    ["reveal", "alice"],
    ["media", "bob"],
    ["media", "alice"],
  ])("a lost %s is made good when %s's list blips (the other is gone and back)", async (lost, blips) => {
    const relay = new Relay();
    for (const n of ["alice", "bob"]) await relay.add(n);
    let dropped = false;
    relay.tap = (w) => {
      if (!dropped && (w.body as { kind: string }).kind === lost) return ((dropped = true), []);
      return [w];
    };
    await relay.list(["alice", "bob"]);
    await relay.settle();
    expect(dropped).toBe(true);
    await relay.list([blips], [blips]);
    await relay.list(["alice", "bob"], [blips]);
    await relay.settle();
    expectPairReady(relay, "alice", "bob");
  });

  test("a second handshake for the same keys is refused, so the code cannot be ground", async () => {
    const relay = await call(["alice", "bob"]);
    const before = codeFor(relay.node("bob"), "alice");
    const sid = "x".repeat(22);
    const out = await relay.node("bob").keys.receive("alice", { kind: "commit", sid, c: "A".repeat(43) });
    expect(out).toEqual([]);
    expect(eventsOf(relay.node("bob"), "code")).toHaveLength(1);
    expect(codeFor(relay.node("bob"), "alice")).toBe(before!);
  });
});

describe("a server that substitutes keys", () => {
  /** A call of alice and bob where the server hands `to` a key of its own in place of the key of `from`. */
  async function swapKey(from: string, to: string): Promise<Relay> {
    const relay = new Relay();
    for (const n of ["alice", "bob"]) await relay.add(n);
    const mallory = await CallKeys.create(ROOM, from);
    relay.tap = (w) => {
      const body = w.body as { kind: string };
      if (w.from === from && w.to === to && body.kind === "key") return [{ ...w, body: { ...body, pk: mallory.publicKey } }];
      return [w];
    };
    await relay.list(["alice", "bob"]);
    await relay.settle();
    return relay;
  }

  test("a key swapped towards the initiator: media keys do not open, the codes differ", async () => {
    const relay = await swapKey("bob", "alice");
    const [A, B] = [relay.node("alice"), relay.node("bob")];
    expect(tampered(A)).toContainEqual({ type: "tampered", personId: "bob", reason: "unwrap" });
    expect(tampered(B)).toContainEqual({ type: "tampered", personId: "alice", reason: "unwrap" });
    expect(codeFor(A, "bob")).toBeDefined();
    expect(codeFor(A, "bob")).not.toBe(codeFor(B, "alice")!);
    expect(held(A, "bob").size).toBe(0);
  });

  test("a key swapped towards the responder: the commitment does not hold", async () => {
    const B = (await swapKey("alice", "bob")).node("bob");
    expect(tampered(B)).toContainEqual({ type: "tampered", personId: "alice", reason: "commit" });
    expect(codeFor(B, "alice")).toBeUndefined();
  });

  test("a server in the middle running the whole exchange with each side: no error anywhere, but the codes differ", async () => {
    const relay = new Relay();
    const [A, B] = [await relay.add("alice"), await relay.add("bob")];
    await relay.add("mallory-as-bob", "bob"); // talks to alice
    await relay.add("mallory-as-alice", "alice"); // talks to bob
    relay.route = (from, to) => {
      if (from === "alice") return "mallory-as-bob";
      if (from === "bob") return "mallory-as-alice";
      return to;
    };
    await relay.list(["alice", "bob"], ["alice", "bob", "mallory-as-bob", "mallory-as-alice"]);
    await relay.settle();
    expect([...tampered(A), ...tampered(B)]).toEqual([]);
    expect(held(A, "bob").size).toBe(1); // alice encrypts to mallory's key and decrypts mallory's media
    expect(held(B, "alice").size).toBe(1);
    expect(codeFor(A, "bob")).toBe(codeFor(relay.node("mallory-as-bob"), "alice")!);
    expect(codeFor(A, "bob")).not.toBe(codeFor(B, "alice")!); // what alice and bob read to each other
  });
});

describe("someone joins", () => {
  test("the newcomer gets everyone's current key, cannot derive the ones before, and the others ratchet without a message", async () => {
    const relay = await call(["alice", "bob"]);
    const [A, B] = [relay.node("alice"), relay.node("bob")];
    const before = sending(A);
    const C = await relay.add("carol");
    relay.delivered.length = 0;
    await relay.list(["alice", "bob", "carol"]);
    await relay.settle();

    const after = sending(A);
    expect(splitKid(after.kid)).toEqual({ epoch: 0, step: 1 });
    expect(hex(after.key)).toBe(hex(await ratchetKey(before.key)));
    expectPairReady(relay, "alice", "carol");
    expectPairReady(relay, "bob", "carol");
    expectPairReady(relay, "alice", "bob");

    // Carol holds nothing from before she joined and cannot ask for it.
    const carolHolds = [...held(C, "alice").values(), ...held(C, "bob").values()];
    expect(carolHolds).not.toContain(hex(before.key));
    expect(await C.keys.receivingKey("alice", before.kid)).toBeUndefined();
    // Bob got alice's new key by ratcheting, not from a message.
    expect(relay.delivered.filter((w) => w.from === "alice" && w.to === "bob" && (w.body as { kind: string }).kind === "media")).toEqual([]);
    expect(await B.keys.receivingKey("alice", after.kid)).toEqual(after.key);
    expect(eventsOf(B, "receiving-key").filter((e) => e.personId === "alice").map((e) => e.kid)).toEqual([0n, 1n]);
  });

  test("a receiver ratchets on demand a few steps ahead, not further", async () => {
    const relay = await call(["alice", "bob"]);
    const key0 = sending(relay.node("alice")).key;
    let key = key0;
    for (let i = 0; i < 16; i++) key = await ratchetKey(key);
    expect(await relay.node("bob").keys.receivingKey("alice", kidOf(0, 16))).toEqual(key);
    expect(await relay.node("bob").keys.receivingKey("alice", kidOf(0, 40))).toBeUndefined();
    expect(await relay.node("bob").keys.receivingKey("alice", kidOf(9, 0))).toBeUndefined();
  });

  test("after 255 joins the step is spent: the sender starts a fresh epoch and sends it to everyone", async () => {
    const relay = await call(["alice", "bob"]);
    const A = relay.node("alice");
    const ids = ["alice", "bob"];
    for (let i = 0; i < 256; i++) {
      ids.push(`guest-${i}`);
      relay.post("alice", await A.keys.setParticipants(ids));
    }
    await relay.settle();
    expect(eventsOf(A, "sending-key").map((e) => e.kid).slice(-2)).toEqual([kidOf(0, 255), kidOf(1, 0)]);
    expect(held(relay.node("bob"), "alice").get(kidOf(1, 0))).toBe(hex(sending(A).key));
  });
});

describe("someone leaves", () => {
  test("the others switch to fresh keys after the delay; the leaver gets nothing and never held them", async () => {
    const relay = await call(["alice", "bob", "carol"]);
    const [A, B, C] = [relay.node("alice"), relay.node("bob"), relay.node("carol")];
    const old = sending(A);
    relay.delivered.length = 0;
    await relay.list(["alice", "bob"], ["alice", "bob"]);
    await relay.settle();

    expect(relay.delivered.filter((w) => w.to === "carol")).toEqual([]);
    expect(sending(A)).toBe(old); // still the old key until the receivers have the new one
    const newKid = kidOf(1, 0);
    expect(held(B, "alice").has(newKid)).toBe(true);

    await relay.clock.advance(SWITCH_DELAY_MS);
    expect(sending(A).kid).toBe(newKid);
    expect(sending(B).kid).toBe(newKid);
    expect(held(B, "alice").get(newKid)).toBe(hex(sending(A).key));
    expect(held(A, "bob").get(newKid)).toBe(hex(sending(B).key));
    const carolHolds = [...held(C, "alice").values(), ...held(C, "bob").values()];
    expect(carolHolds).not.toContain(hex(sending(A).key));
    expect(carolHolds).not.toContain(hex(sending(B).key));
    expect(await C.keys.receivingKey("alice", newKid)).toBeUndefined();
    // Carol's keys are dropped at once; the previous epoch of those who stayed after KEEP_OLD_MS.
    expect(eventsOf(A, "forget").filter((e) => e.personId === "carol")).toHaveLength(1);
    expect(held(B, "alice").has(old.kid)).toBe(true);
    await relay.clock.advance(KEEP_OLD_MS);
    expect(held(B, "alice").has(old.kid)).toBe(false);
    expect([...held(B, "alice").keys()]).toEqual([newKid]);
  });

  test("one leaves and one joins in the same list, messages repeated and reordered: the newcomer holds nothing from before", async () => {
    for (let round = 0; round < 3; round++) {
      const relay = await call(["alice", "bob", "carol"]);
      const old = [sending(relay.node("alice")), sending(relay.node("bob"))].map((e) => hex(e.key));
      const dave = await relay.add("dave");
      relay.delivered.length = 0;
      relay.tap = (w) => [w, w];
      relay.shuffle = true;
      await relay.list(["alice", "bob", "dave"], ["alice", "bob", "dave"]);
      await relay.settle();
      await relay.clock.advance(SWITCH_DELAY_MS + KEEP_OLD_MS);
      for (const [a, b] of [["alice", "bob"], ["alice", "dave"], ["bob", "dave"]] as const) expectPairReady(relay, a, b);
      expect(splitKid(sending(relay.node("alice")).kid).epoch).toBe(1);
      const daveHolds = [...held(dave, "alice").values(), ...held(dave, "bob").values()];
      for (const k of old) expect(daveHolds).not.toContain(k);
      expect(relay.delivered.filter((w) => w.to === "carol")).toEqual([]);
    }
  });

  test("close() stops the switch", async () => {
    const relay = await call(["alice", "bob", "carol"]);
    await relay.list(["alice", "bob"], ["alice", "bob"]);
    await relay.settle();
    relay.node("alice").keys.close();
    await relay.clock.advance(SWITCH_DELAY_MS);
    expect(sending(relay.node("alice")).kid).toBe(0n);
    expect(sending(relay.node("bob")).kid).toBe(kidOf(1, 0));
  });
});

describe("a changed key", () => {
  test("a person who reloads: warning, verified mark cleared, a new matching code and keys", async () => {
    const relay = await call(["alice", "bob"]);
    const A = relay.node("alice");
    A.keys.markVerified("bob");
    expect(A.keys.verified("bob")).toBe(true);
    const oldCode = codeFor(A, "bob");

    const B2 = await relay.add("bob"); // the same person, a new page
    await relay.list(["alice", "bob"], ["bob"]);
    await relay.settle();

    expect(eventsOf(A, "key-changed")).toEqual([{ type: "key-changed", personId: "bob" }]);
    expect(A.keys.verified("bob")).toBe(false);
    expect(eventsOf(A, "code")).toHaveLength(2);
    expect(codeFor(A, "bob")).toBe(codeFor(B2, "alice")!);
    expect(codeFor(A, "bob")).not.toBe(oldCode!);
    expect(eventsOf(A, "forget")).toContainEqual({ type: "forget", personId: "bob", kids: [0n] });
    expectPairReady(relay, "alice", "bob");
    expect(tampered(A)).toEqual([]);
  });

  test("markVerified before any code is ignored", async () => {
    const relay = new Relay();
    const A = await relay.add("alice");
    await A.keys.setParticipants(["alice", "bob"]);
    A.keys.markVerified("bob");
    expect(A.keys.verified("bob")).toBe(false);
  });
});

describe("odd input", () => {
  test("garbage, oversized and unknown bodies: no throw, nothing sent, at most an 'invalid' event", async () => {
    const relay = await call(["alice", "bob"]);
    const A = relay.node("alice");
    const eventsBefore = A.events.length;
    const notOnCurve = "BA" + "A".repeat(85);
    const throwing = new Proxy({}, { get: () => { throw new Error("boom"); } });
    const bodies: unknown[] = [
      null, 42, "key", [], {}, { kind: "nope" }, throwing,
      { kind: "key", pk: "A".repeat(10_000), ack: true },
      { kind: "key", pk: notOnCurve, ack: false },
      { kind: "key", pk: A.keys.publicKey, ack: "yes" },
      { kind: "key", pk: A.keys.publicKey, ack: true, extra: 1 },
      { kind: "commit", sid: "s".repeat(22), c: "A".repeat(43) }, // bob is not the initiator
      { kind: "nonce", sid: "s".repeat(22), n: "A".repeat(44) },
      { kind: "media", kid: "1".repeat(40), iv: "A".repeat(16), ct: "A".repeat(43) },
      { kind: "media", kid: "-1", iv: "A".repeat(16), ct: "A".repeat(43) },
    ];
    for (const body of bodies) expect(await A.keys.receive("bob", body)).toEqual([]);
    const added = A.events.slice(eventsBefore);
    expect(added.every((e) => e.type === "tampered" && e.reason === "invalid" && e.personId === "bob")).toBe(true);
    expect(added).toHaveLength(bodies.length);
    expectPairReady(relay, "alice", "bob"); // nothing changed
  });

  test("a stale nonce is ignored; a media key under another KID does not open", async () => {
    const relay = await call(["alice", "bob"]);
    const A = relay.node("alice");
    const before = A.events.length;
    expect(await A.keys.receive("bob", { kind: "nonce", sid: "t".repeat(22), n: "A".repeat(43) })).toEqual([]);
    expect(A.events.length).toBe(before);
    const media = relay.delivered.find((w) => w.from === "bob" && (w.body as { kind: string }).kind === "media")!;
    await A.keys.receive("bob", { ...(media.body as object), kid: "5" });
    expect(tampered(A)).toEqual([{ type: "tampered", personId: "bob", reason: "unwrap" }]);
  });

  test("messages from someone not on the list are dropped unread", async () => {
    const relay = await call(["alice", "bob"]);
    const A = relay.node("alice");
    const before = A.events.length;
    const eve = await CallKeys.create(ROOM, "eve");
    expect(await A.keys.receive("eve", { kind: "key", pk: eve.publicKey, ack: false })).toEqual([]);
    expect(await A.keys.receive("alice", { kind: "key", pk: eve.publicKey, ack: false })).toEqual([]);
    expect(A.events.length).toBe(before);
  });
});
