// Booking benchmarks: free-slot computation over a busy 8-week calendar, and the client's slot page under an
// open-loop load on loopback (the server in its own process; bounded in time and count, stops by itself).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { freeSlots } from "../../src/booking/slots.ts";
import { asBusy, busyAvailability, busyCalendar, SERVICE, ZONE } from "./booking-calendar.ts";
import { median } from "./stats.ts";

export interface BookingBench {
  slotsColdMs: number;
  slotsMs: number;
  slotsCount: number;
  busyCount: number;
  load: { rate: number; seconds: number; pageRps: number; pageP50Ms: number; pageP99Ms: number; baseP50Ms: number; baseP99Ms: number; errors: number; runs: number };
}

export async function benchBooking(): Promise<BookingBench> {
  const from = Temporal.Now.plainDateISO(ZONE).add({ days: 1 });
  const calendar = busyCalendar(from);
  const busy = asBusy(calendar);
  const now = Temporal.Now.instant();
  const compute = () => freeSlots({ availability: busyAvailability(), service: SERVICE, busy, from, to: from.add({ days: 55 }), now });
  let t = performance.now();
  const slots = compute();
  const slotsColdMs = performance.now() - t;
  const runs: number[] = [];
  for (let r = 0; r < 21; r++) {
    t = performance.now();
    compute();
    runs.push(performance.now() - t);
  }
  return { slotsColdMs, slotsMs: median(runs), slotsCount: slots.length, busyCount: calendar.length, load: await loadSlotPage() };
}

const RATE = 500;
const SECONDS = 5;
const RUNS = 3;

async function loadSlotPage(): Promise<BookingBench["load"]> {
  const child = spawn(process.execPath, [join(import.meta.dir, "booking-server.ts")], { stdio: ["ignore", "pipe", "inherit"] });
  const info = await new Promise<{ port: number; cookie: string; path: string }>((resolve, reject) => {
    let buf = "";
    child.stdout!.on("data", (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.on("exit", (code) => reject(new Error(`bench server exited (${code})`)));
  });
  try {
    const base = `http://127.0.0.1:${info.port}`;
    const page = { url: `${base}${info.path}`, headers: { cookie: info.cookie } };
    const probe = await fetch(page.url, page);
    const html = await probe.text();
    if (probe.status !== 200 || !html.includes("kb-slots")) throw new Error(`slot page answered ${probe.status}`);
    await openLoop(page, RATE, 1); // warm-up
    const pages: Run[] = [];
    const bases: Run[] = [];
    for (let r = 0; r < RUNS; r++) {
      pages.push(await openLoop(page, RATE, SECONDS));
      bases.push(await openLoop({ url: `${base}/livez`, headers: {} }, RATE, SECONDS));
    }
    return {
      rate: RATE,
      seconds: SECONDS,
      runs: RUNS,
      pageRps: median(pages.map((p) => p.rps)),
      pageP50Ms: median(pages.map((p) => p.p50)),
      pageP99Ms: median(pages.map((p) => p.p99)),
      baseP50Ms: median(bases.map((p) => p.p50)),
      baseP99Ms: median(bases.map((p) => p.p99)),
      errors: pages.reduce((n, p) => n + p.errors, 0),
    };
  } finally {
    child.kill("SIGTERM");
  }
}

export interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * Sends `rate` requests per second for `seconds`, on schedule whatever the answers (open loop); latency per request.
 * `headers` may vary by request number (e.g. several API tokens taking turns).
 */
export async function openLoop(target: { url: string; headers: Record<string, string> | ((i: number) => Record<string, string>) }, rate: number, seconds: number): Promise<Run> {
  const total = rate * seconds;
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    // From when it was due when we are late (queueing counts), from when it left when the timer woke early.
    const sentAt = Math.min(due, performance.now());
    inflight.push(
      fetch(target.url, { headers: typeof target.headers === "function" ? target.headers(i) : target.headers })
        .then(async (r) => {
          await r.arrayBuffer();
          if (r.status !== 200) errors++;
          latencies.push(performance.now() - sentAt); // no coordinated omission
        })
        .catch(() => void errors++),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p50: latencies[Math.floor(latencies.length * 0.5)] ?? NaN, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN, errors };
}

if (import.meta.main) console.log(await benchBooking());
