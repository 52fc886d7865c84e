import { describe, expect, test } from "bun:test";
import { type LinkSample, rateLink, VideoGuard } from "./quality.ts";

const fine: LinkSample = { connected: true, rtt: 0.05, loss: 0, bitrate: 800_000, received: null };

describe("link quality", () => {
  test.each([
    ["a clean link", fine, "good"],
    ["10 % loss", { ...fine, loss: 0.1 }, "weak"],
    ["a 700 ms round trip", { ...fine, rtt: 0.7 }, "weak"],
    ["120 kbit/s to send", { ...fine, bitrate: 120_000 }, "weak"],
    ["not connected", { ...fine, connected: false }, "lost"],
    ["nothing arrived for 2 s", { ...fine, received: 0 }, "lost"],
    ["unknown figures", { connected: true, rtt: null, loss: null, bitrate: null, received: 40 }, "good"],
  ] as const)("%s is %s", (_, sample, expected) => {
    expect(rateLink(sample)).toBe(expected);
  });
});

describe("pausing video on a weak link", () => {
  test("pauses once after four poor looks in a row (6 s), not after a hiccup", () => {
    const guard = new VideoGuard();
    const poor = { ...fine, loss: 0.3 };
    expect([poor, poor, poor, fine, poor, poor, poor].map((s) => guard.look(s))).toEqual([false, false, false, false, false, false, false]);
    expect(guard.look(poor)).toBe(true);
    expect(guard.look(poor)).toBe(false); // told once
  });

  test("very low bitrate counts as poor; after a reset it waits a full window again", () => {
    const guard = new VideoGuard();
    const slow = { ...fine, bitrate: 60_000 };
    guard.look(slow);
    guard.look(slow);
    guard.look(slow);
    guard.reset();
    expect([slow, slow, slow].map((s) => guard.look(s))).toEqual([false, false, false]);
    expect(guard.look(slow)).toBe(true);
  });
});
