import { describe, expect, test } from "bun:test";
import { HOLD_MS, LayerPolicy, MAX_HOLD_MS, PROBE_MS } from "./layer-policy.ts";

const LAYERS = [
  { bitrate: 150_000, width: 160 },
  { bitrate: 400_000, width: 320 },
  { bitrate: 1_100_000, width: 640 },
];

/** Runs the policy at 250 ms steps; `link` says how many of each step's packets the receiver asks again for. */
function run(p: LayerPolicy, fromMs: number, toMs: number, current: { layer: number }, nacked: (layer: number, probing: boolean) => number) {
  let probeSeen = false;
  for (let t = fromMs; t <= toMs; t += 250) {
    const d = p.decide(LAYERS, current.layer, t);
    const probing = d.probeBps > 0;
    probeSeen ||= probing;
    const lost = nacked(current.layer, probing);
    p.probed(50, lost);
    if (!probing) p.lost(lost / 50, t);
    current.layer = d.target; // switches at once here (a keyframe in the real thing)
  }
  return { probeSeen };
}

describe("which layer a receiver gets", () => {
  test("a clean link climbs to the top layer by probing first, one layer at a time", () => {
    const p = new LayerPolicy(1, 0);
    const current = { layer: 1 };
    expect(p.decide(LAYERS, 1, 0)).toEqual({ target: 1, probeBps: 0 }); // holds at the start
    const { probeSeen } = run(p, 250, HOLD_MS + PROBE_MS + 500, current, () => 0);
    expect(probeSeen).toBe(true);
    expect(current.layer).toBe(2);
  });

  test("a link that loses the probe's packets keeps the smaller layer, and tries again later and later", () => {
    const p = new LayerPolicy(1, 0);
    const current = { layer: 1 };
    const probes: number[] = [];
    for (let t = 0; t <= 40_000; t += 250) {
      const d = p.decide(LAYERS, current.layer, t);
      if (d.probeBps > 0 && (probes.length === 0 || t - probes.at(-1)! > PROBE_MS)) probes.push(t);
      p.probed(50, d.probeBps > 0 ? 10 : 0);
      current.layer = d.target;
    }
    expect(current.layer).toBe(1);
    const gaps = probes.slice(1).map((t, i) => t - probes[i]!);
    expect(gaps[0]).toBeLessThan(gaps.at(-1)!); // backing off
    expect(Math.max(...gaps)).toBeLessThanOrEqual(MAX_HOLD_MS + PROBE_MS + 500);
  });

  test("a layer that starts losing packets is left for the one below at once; the top comes back once it is clean", () => {
    const p = new LayerPolicy(2, 0);
    const current = { layer: 2 };
    p.decide(LAYERS, 2, 0);
    p.lost(0.3, 100);
    expect(p.decide(LAYERS, 2, 250).target).toBe(1);
    p.lost(0.3, 400);
    current.layer = p.decide(LAYERS, 1, 500).target;
    expect(current.layer).toBe(0);
    // Loss stops: within the hold times it probes its way back up.
    run(p, 750, 750 + 2 * (MAX_HOLD_MS + PROBE_MS + 1000), current, () => 0);
    expect(current.layer).toBe(2);
  });

  test("a small tile gets the small layer however good the link; a hidden one the smallest", () => {
    const p = new LayerPolicy(2, 0);
    p.wanted(200);
    expect(p.decide(LAYERS, 2, 0).target).toBe(1); // 320 wide is enough for 200
    p.wanted(100);
    expect(p.decide(LAYERS, 1, 250).target).toBe(0);
    p.wanted(0);
    expect(p.decide(LAYERS, 0, 500).target).toBe(0);
    p.wanted(1280);
    expect(p.decide(LAYERS, 0, 750).target).toBe(2); // the link carried the top before: no probe needed
  });

  test("a layer the publisher stopped sending is skipped", () => {
    const p = new LayerPolicy(2, 0);
    expect(p.decide([LAYERS[0]!, LAYERS[1]!, { bitrate: 0, width: 640 }], 2, 0).target).toBe(1);
    expect(p.decide([LAYERS[0]!, { bitrate: 0, width: 320 }, { bitrate: 0, width: 640 }], 1, 250).target).toBe(0);
  });
});
