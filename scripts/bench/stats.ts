export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Calls fn `iterations` times per run, `runs` times; returns the median µs per call. */
export function microsPerCall(fn: () => void, iterations: number, runs: number): number {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(); // warm up the JIT
  const perRun: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = Bun.nanoseconds();
    for (let i = 0; i < iterations; i++) fn();
    perRun.push((Bun.nanoseconds() - t) / 1000 / iterations);
  }
  return median(perRun);
}

export const fmt = (n: number, digits = 1): string => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
