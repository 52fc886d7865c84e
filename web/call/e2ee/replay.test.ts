import { expect, test } from "bun:test";
import { REPLAY_WINDOW, ReplayWindow } from "./replay.ts";

test("each (KID, counter) is taken once; gaps and a little disorder are fine; stale counters are refused", () => {
  const w = new ReplayWindow();
  expect(w.accept(1n, 10n)).toBe(true);
  expect(w.accept(1n, 10n)).toBe(false); // replayed
  expect(w.accept(1n, 25n)).toBe(true); // a gap: other layers' and audio frames took 11–24
  expect(w.accept(1n, 12n)).toBe(true); // late, but new
  expect(w.accept(1n, 12n)).toBe(false);
  expect(w.accept(2n, 10n)).toBe(true); // another key: its own counters
  expect(w.accept(1n, 25n + REPLAY_WINDOW)).toBe(true);
  expect(w.accept(1n, 25n)).toBe(false); // now out of the window
  expect(w.accept(1n, 24n)).toBe(false); // new, but stale
  expect(w.accept(1n, 26n)).toBe(true); // just inside the window, never seen
});

test("the memory stays bounded over a long call", () => {
  const w = new ReplayWindow();
  for (let c = 0n; c < 100_000n; c += 3n) expect(w.accept(7n, c)).toBe(true);
  const held = (w as unknown as { seen: Map<bigint, Set<bigint>> }).seen.get(7n)!.size;
  expect(held).toBeLessThanOrEqual(2 * Number(REPLAY_WINDOW) + 1);
});
