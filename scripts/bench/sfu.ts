// Synthetic 1:1 consultations through Kabinet's SFU and, when Debian's `janus` is installed, through Janus's
// VideoRoom with the same generator and the same packets: each participant publishes ~1.15 Mbps (Opus-sized audio,
// VP8-sized video) over SRTP and receives the other's. Runs alternate Kabinet, Janus, Kabinet, Janus… at each level;
// the headline is Kabinet's CPU per forwarded packet over Janus's. Each SFU runs in its own process and only its own
// CPU time (user + system, /proc/<pid>/stat) counts; the light generator (scripts/bench/srtp-generator.ts) runs in
// one or two other processes. Everything is bounded in time and count and stops by itself.
// With Janus, everything runs inside a private network namespace (scripts/bench/janus-netns.sh explains why).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { JANUS_BINARY, JanusProcess } from "./janus.ts";
import { rpcOverChild, type LineRpc } from "./sfu-rpc.ts";
import { fmt, median } from "./stats.ts";

export interface SfuRun {
  forwardedPerSecond: number;
  microsPerPacket: number;
  p50Ms: number;
  p99Ms: number;
  lossPercent: number;
  /** RSS growth from the idle server to the end of the run, per published stream (one participant's audio + video). */
  mbPerPublishedStream: number;
  generatorCorePercent: number;
  /** UDP datagrams the kernel dropped for full receive buffers in the measured window, SFU's sockets and the generators'. */
  sfuUdpDrops: number;
  generatorUdpDrops: number;
  /** Share of the video packets received from each simulcast layer, lowest first (without simulcast: all the top). */
  layerShares: number[];
}

export type SfuName = "kabinet" | "janus";
/** What the media payloads hold: today's clear VP8/Opus stand-ins, or frames as a browser with E2EE sends them. */
export type Payloads = "clear" | "e2ee";

export interface SfuLevel {
  consultations: number;
  simulcast: boolean;
  /** Median of the runs, per SFU; `runs` keeps each run's µs per packet to show the spread. */
  kabinet: SfuRun & { runs: number[]; failed: number };
  janus?: SfuRun & { runs: number[]; failed: number };
}

export interface SfuFigures {
  janus: string | null; // the version measured, or null
  withoutJanus?: string; // why Janus was not measured
  srtpProfiles: Record<string, string[]>;
  baselineP50Ms: number;
  baselineP99Ms: number;
  runs: number;
  seconds: number;
  levels: SfuLevel[];
  simulcast: string; // what was measured with simulcast, or why not
  load: [number, number]; // 1-minute load average when the section started and ended (the machine is shared)
}

interface SfuUnderTest {
  pid: number;
  publish(key: string, sdp: string): Promise<string>;
  subscribe(source: string): Promise<{ subId: string; sdp: string }>;
  accept(subId: string, sdp: string): Promise<void>;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6; // utime + stime, all threads
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Datagrams the kernel dropped because a process's UDP sockets were full (it did not read them in time). */
function udpDrops(pids: number[]): number {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  let drops = 0;
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 13 && inodes.has(f[9]!)) drops += Number(f[f.length - 1]);
    }
  }
  return drops;
}

async function startKabinet(): Promise<SfuUnderTest> {
  // KABINET_BENCH_PROFILE=<dir> writes a CPU profile of the SFU process there (bun --cpu-prof).
  const profile = process.env.KABINET_BENCH_PROFILE;
  const child = spawn(process.execPath, [...(profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : []), join(import.meta.dir, "sfu-server.ts")], { stdio: ["pipe", "pipe", "inherit"] });
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  const rpc = rpcOverChild(child, { ready: () => (ready(), {}) });
  await Promise.race([started, Bun.sleep(15_000).then(() => Promise.reject(new Error("the SFU process did not start")))]);
  return {
    pid: child.pid!,
    publish: async (key, sdp) => String((await rpc.call("publish", { key, sdp })).sdp),
    subscribe: async (source) => {
      const o = await rpc.call("subscribe", { source });
      return { subId: String(o.subId), sdp: String(o.sdp) };
    },
    accept: async (subId, sdp) => void (await rpc.call("accept", { subId, sdp })),
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      void rpc.call("exit").catch(() => {});
      await Promise.race([exited, Bun.sleep(5000)]); // a CPU profile is written on the way out
      child.kill("SIGKILL");
    },
  };
}

async function startJanus(): Promise<SfuUnderTest> {
  const janus = new JanusProcess();
  try {
    await janus.ready();
  } catch (err) {
    await janus.stop();
    throw err;
  }
  return janus;
}

function startGenerator(sfu: SfuUnderTest): { rpc: LineRpc; child: ChildProcess } {
  const child = spawn(process.execPath, [join(import.meta.dir, "srtp-generator.ts")], { stdio: ["pipe", "pipe", "inherit"] });
  const rpc = rpcOverChild(child, {
    publish: async (m) => ({ sdp: await sfu.publish(String(m.key), String(m.sdp)) }),
    subscribe: async (m) => await sfu.subscribe(String(m.source)),
    accept: async (m) => (await sfu.accept(String(m.subId), String(m.sdp)), {}),
  });
  return { rpc, child };
}

const pct = (xs: number[], p: number): number => {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

const WARM_UP_MS = 2000;
const SIMULCAST_WARM_UP_MS = 6000;

/** One SFU, one level: set up every peer, warm up, measure `seconds`, tear down. */
async function measure(name: SfuName, consultations: number, seconds: number, profiles: Set<string>, simulcast: boolean, payloads: Payloads = "clear"): Promise<SfuRun> {
  const sfu = name === "kabinet" ? await startKabinet() : await startJanus();
  const idleRss = rssBytes(sfu.pid);
  // Two generator processes from 4 consultations up, so one event loop's timers do not stretch the send schedule.
  const count = consultations >= 4 ? 2 : 1;
  const gens = Array.from({ length: count }, () => startGenerator(sfu));
  try {
    const joined = await Promise.all(
      gens.map((g, i) => g.rpc.call("join", { consultations: Array.from({ length: consultations }, (_, c) => c).filter((c) => c % count === i), simulcast, highFirst: name === "janus", e2ee: payloads === "e2ee" }, 180_000)),
    );
    for (const j of joined) for (const p of j.profiles as string[]) profiles.add(p);
    // With simulcast an SFU may start a receiver on a lower layer and climb after probing the link: longer warm-up.
    await Bun.sleep(simulcast ? SIMULCAST_WARM_UP_MS : WARM_UP_MS);
    const pids = { sfu: [sfu.pid], generators: gens.map((g) => g.child.pid!) };
    const drops0 = { sfu: udpDrops(pids.sfu), generators: udpDrops(pids.generators) };
    const cpu0 = cpuMicros(sfu.pid);
    const t0 = performance.now();
    await Promise.all(gens.map((g) => g.rpc.call("begin")));
    await Bun.sleep(seconds * 1000);
    const ended = Promise.all(gens.map((g) => g.rpc.call("end")));
    const cpu1 = cpuMicros(sfu.pid);
    const wall = (performance.now() - t0) / 1000;
    const rss = rssBytes(sfu.pid);
    const results = await ended;
    // Drops inside the measured window (and the stragglers' half second after it), not during setup.
    const sfuUdpDrops = udpDrops(pids.sfu) - drops0.sfu;
    const generatorUdpDrops = udpDrops(pids.generators) - drops0.generators;
    const sent = results.reduce((n, r) => n + Number(r.sent), 0);
    const received = results.reduce((n, r) => n + Number(r.received), 0);
    const latencies = results.flatMap((r) => r.latencies as number[]);
    const genCpu = results.reduce((n, r) => n + Number(r.cpuMicros), 0);
    const byLayer = [0, 1, 2].map((l) => results.reduce((n, r) => n + Number((r.byLayer as number[] | undefined)?.[l] ?? 0), 0));
    const video = byLayer.reduce((a, b) => a + b, 0);
    if (video === 0) throw new Error("no video reached the receivers");
    // The receivers look for the pool's SFrame header in every audio packet and every video frame's first packet.
    const sframe = { ok: 0, bad: 0 };
    for (const r of results) {
      const seen = r.sframe as { ok: number; bad: number };
      sframe.ok += seen.ok;
      sframe.bad += seen.bad;
    }
    if (payloads === "e2ee" && (sframe.ok === 0 || sframe.bad > 0)) throw new Error(`E2EE payloads did not arrive as sent: ${sframe.ok} SFrame headers found, ${sframe.bad} not`);
    if (payloads === "clear" && sframe.ok + sframe.bad > 0) throw new Error("clear payloads were checked as SFrame");
    return {
      forwardedPerSecond: received / wall,
      microsPerPacket: (cpu1 - cpu0) / Math.max(1, received),
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      lossPercent: Math.max(0, (1 - received / Math.max(1, sent)) * 100),
      mbPerPublishedStream: Math.max(0, rss - idleRss) / 1e6 / (consultations * 2),
      generatorCorePercent: (genCpu / 1e6 / wall) * 100,
      sfuUdpDrops,
      generatorUdpDrops,
      layerShares: byLayer.map((x) => x / Math.max(1, video)),
    };
  } finally {
    await Promise.all(gens.map((g) => g.rpc.call("close", {}, 10_000).catch(() => {})));
    for (const g of gens) g.child.kill("SIGKILL");
    await sfu.stop();
  }
}

async function baseline(seconds: number): Promise<{ p50: number; p99: number }> {
  const gen = startGenerator({ pid: 0 } as SfuUnderTest);
  try {
    const r = await gen.rpc.call("baseline", { seconds }, 60_000);
    const latencies = r.latencies as number[];
    return { p50: pct(latencies, 50), p99: pct(latencies, 99) };
  } finally {
    void gen.rpc.call("close", {}, 5000).catch(() => {});
    setTimeout(() => gen.child.kill("SIGKILL"), 1000);
  }
}

const medianRun = (runs: SfuRun[], failed: number): SfuRun & { runs: number[]; failed: number } => {
  const m = (f: (r: SfuRun) => number) => median(runs.map(f));
  return {
    forwardedPerSecond: m((r) => r.forwardedPerSecond),
    microsPerPacket: m((r) => r.microsPerPacket),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    lossPercent: m((r) => r.lossPercent),
    mbPerPublishedStream: m((r) => r.mbPerPublishedStream),
    generatorCorePercent: m((r) => r.generatorCorePercent),
    sfuUdpDrops: m((r) => r.sfuUdpDrops),
    generatorUdpDrops: m((r) => r.generatorUdpDrops),
    layerShares: [0, 1, 2].map((l) => m((r) => r.layerShares[l] ?? 0)),
    runs: runs.map((r) => r.microsPerPacket),
    failed,
  };
};

interface Plan {
  levels: number[];
  /** Levels measured again with simulcast publishers. */
  simulcast: number[];
  runs: number;
  seconds: number;
}

/** The measurement itself, in whatever network namespace it was started in. */
async function measureLevel(n: number, simulcast: boolean, plan: Plan, janus: string | null, profiles: Record<SfuName, Set<string>>): Promise<SfuLevel | string> {
  const runs: Record<SfuName, SfuRun[]> = { kabinet: [], janus: [] };
  const failed: Record<SfuName, number> = { kabinet: 0, janus: 0 };
  let lastError = "";
  const label = `${n} consultations${simulcast ? " with simulcast" : ""}`;
  for (let r = 0; r < plan.runs; r++) {
    // KABINET_BENCH_ONLY=kabinet|janus: one side only, for development runs.
    for (const name of (janus ? (["kabinet", "janus"] as const) : (["kabinet"] as const)).filter((x) => !process.env.KABINET_BENCH_ONLY || x === process.env.KABINET_BENCH_ONLY)) {
      // A run whose setup fails (a peer connection that did not connect on a starved machine) is tried once more,
      // then counted as failed: the level keeps its other runs.
      let run: SfuRun | null = null;
      for (let attempt = 1; attempt <= 2 && !run; attempt++) {
        run = await measure(name, n, plan.seconds, profiles[name], simulcast).catch((err: Error) => {
          lastError = `${name}: ${err.message}`;
          console.error(`  ${label}, ${name} run ${r + 1}, attempt ${attempt} failed: ${err.message}`);
          return null;
        });
      }
      if (!run) {
        failed[name]++;
        if (simulcast && name === "kabinet") return `Kabinet with simulcast at ${n} consultations failed (${lastError})`; // no use repeating
        continue;
      }
      console.error(`  ${label}, ${name} run ${r + 1}: ${run.microsPerPacket.toFixed(1)} µs/packet, ${run.forwardedPerSecond.toFixed(0)} packets/s, p99 ${run.p99Ms.toFixed(1)} ms, loss ${run.lossPercent.toFixed(2)} %, UDP drops SFU ${run.sfuUdpDrops} / generator ${run.generatorUdpDrops}, video layers received ${run.layerShares.map((x) => `${Math.round(x * 100)} %`).join(" / ")}`);
      runs[name].push(run);
    }
  }
  if (runs.kabinet.length === 0 && process.env.KABINET_BENCH_ONLY !== "janus") return `every Kabinet run at ${label} failed (${lastError})`;
  return { consultations: n, simulcast, kabinet: medianRun(runs.kabinet.length ? runs.kabinet : runs.janus, failed.kabinet), ...(janus && runs.janus.length ? { janus: medianRun(runs.janus, failed.janus) } : {}) };
}

/** The measurement itself, in whatever network namespace it was started in. */
async function measureAll(plan: Plan, janus: string | null, withoutJanus?: string): Promise<Omit<SfuFigures, "load">> {
  const base = await baseline(3);
  const profiles: Record<SfuName, Set<string>> = { kabinet: new Set(), janus: new Set() };
  const levels: SfuLevel[] = [];
  for (const n of plan.levels) {
    const level = await measureLevel(n, false, plan, janus, profiles);
    if (typeof level === "string") throw new Error(level);
    levels.push(level);
  }
  // Simulcast: each publisher sends three rid layers (scripts/bench/srtp-generator.ts) and each SFU forwards one per
  // receiver; the receivers ask for the top one (Kabinet: a 960-pixel tile; Janus: its default, the highest).
  const notes: string[] = [];
  for (const n of plan.simulcast) {
    const level = await measureLevel(n, true, plan, janus, profiles);
    if (typeof level === "string") notes.push(level);
    else levels.push(level);
  }
  return {
    janus,
    ...(withoutJanus ? { withoutJanus } : {}),
    srtpProfiles: { kabinet: [...profiles.kabinet], ...(janus ? { janus: [...profiles.janus] } : {}) },
    baselineP50Ms: base.p50,
    baselineP99Ms: base.p99,
    runs: plan.runs,
    seconds: plan.seconds,
    levels,
    simulcast: plan.simulcast.length === 0 ? "not measured in this run" : notes.length ? notes.join("; ") : `measured at ${plan.simulcast.join(", ")} consultations (rows marked "simulcast")`,
  };
}

function janusVersion(): string | null {
  if (!Bun.which(JANUS_BINARY)) return null;
  const out = spawnSync(JANUS_BINARY, ["--version"], { encoding: "utf8" });
  return /(\d+\.\d+\.\d+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? "unknown version";
}

const canIsolate = (): boolean => process.getuid?.() === 0 && !!Bun.which("unshare") && !!Bun.which("ip");

export async function benchSfu(levels = [5, 10, 20, 30], runs = 3, seconds = 5, simulcast = [20]): Promise<SfuFigures> {
  const load = loadavg()[0]!;
  const figures = await measureSomewhere({ levels, runs, seconds, simulcast });
  return { ...figures, load: [load, loadavg()[0]!] };
}

/** In a private network namespace when possible: Janus needs it, and no peer (werift falls back to a public STUN
 * server when given none) can reach anything outside the machine. */
async function measureSomewhere(plan: Plan): Promise<Omit<SfuFigures, "load">> {
  if (!canIsolate()) {
    const why = "Janus needs a private network namespace (root, `unshare`, `ip`), not available here";
    console.log(`  ${why}: measuring Kabinet alone`);
    return await measureAll(plan, null, why);
  }
  return await inNamespace<Omit<SfuFigures, "load">>("--inside", plan);
}

/** Runs this file with `flag` and `plan` in a new network namespace (janus-netns.sh); its last stdout line is the JSON result. */
async function inNamespace<T>(flag: string, plan: object): Promise<T> {
  const script = `. ${join(import.meta.dir, "janus-netns.sh")} && exec ${process.execPath} ${join(import.meta.dir, "sfu.ts")} ${flag} '${JSON.stringify(plan)}'`;
  const child = spawn("unshare", ["--net", "--", "sh", "-c", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const last = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !last.startsWith("{")) throw new Error(`the SFU benchmark in its network namespace failed (exit ${code})`);
  return JSON.parse(last) as T;
}

/** A run that lost more than this share of its packets did not measure steady forwarding. */
const LOSSY_PERCENT = 1;

export interface SfuE2eeFigures {
  consultations: number;
  seconds: number;
  /** Median of the runs; `runs` keeps each run's µs per packet. */
  clear: SfuRun & { runs: number[]; failed: number };
  e2ee: SfuRun & { runs: number[]; failed: number };
  /** E2EE µs per packet over clear µs per packet (medians). */
  ratio: number;
  /** The same ratio within each pair of neighbouring runs (clear, E2EE), less swayed by the machine's load drifting. */
  pairRatios: number[];
  /** Every measured run (µs per packet, loss %), lossy ones included; the medians leave those out. */
  allRuns: Record<Payloads, { us: number; loss: number }[]>;
  isolated: boolean;
  load: [number, number];
}

interface E2eePlan {
  consultations: number;
  runs: number;
  seconds: number;
}

/** Kabinet's SFU at one level without simulcast, clear and E2EE payloads alternated (ABBA), `runs` of each. */
async function measureE2ee(plan: E2eePlan): Promise<Omit<SfuE2eeFigures, "load" | "isolated">> {
  const runs: Record<Payloads, SfuRun[]> = { clear: [], e2ee: [] };
  const failed: Record<Payloads, number> = { clear: 0, e2ee: 0 };
  const profiles = new Set<string>();
  const pairs: [SfuRun | null, SfuRun | null][] = [];
  const all: SfuE2eeFigures["allRuns"] = { clear: [], e2ee: [] };
  for (let r = 0; r < plan.runs; r++) {
    const pair: [SfuRun | null, SfuRun | null] = [null, null];
    pairs.push(pair);
    for (const payloads of r % 2 ? (["e2ee", "clear"] as const) : (["clear", "e2ee"] as const)) {
      // A run that fails to set up, or that loses packets (the shared machine starving the SFU: it then forwards
      // fewer packets for its CPU and looks cheaper), is tried once more; a lossy run is kept but left out of medians.
      let run: SfuRun | null = null;
      for (let attempt = 1; attempt <= 2 && (!run || run.lossPercent > LOSSY_PERCENT); attempt++) {
        run = await measure("kabinet", plan.consultations, plan.seconds, profiles, false, payloads).catch((err: Error) => {
          console.error(`  ${plan.consultations} consultations, ${payloads} payloads, run ${r + 1}, attempt ${attempt} failed: ${err.message}`);
          return null;
        });
        if (run) {
          console.error(`  ${plan.consultations} consultations, ${payloads} payloads, run ${r + 1}: ${run.microsPerPacket.toFixed(1)} µs/packet, ${run.forwardedPerSecond.toFixed(0)} packets/s, p99 ${run.p99Ms.toFixed(1)} ms, loss ${run.lossPercent.toFixed(2)} %`);
          all[payloads].push({ us: run.microsPerPacket, loss: run.lossPercent });
        }
      }
      if (!run) {
        failed[payloads]++;
        continue;
      }
      if (run.lossPercent > LOSSY_PERCENT) continue;
      runs[payloads].push(run);
      pair[payloads === "clear" ? 0 : 1] = run;
    }
  }
  if (runs.clear.length === 0 || runs.e2ee.length === 0) throw new Error(`no ${runs.clear.length ? "E2EE" : "clear"} run without loss: the machine is too busy to measure`);
  const clear = medianRun(runs.clear, failed.clear);
  const e2ee = medianRun(runs.e2ee, failed.e2ee);
  const pairRatios = pairs.filter(([c, e]) => c && e).map(([c, e]) => e!.microsPerPacket / c!.microsPerPacket);
  return { consultations: plan.consultations, seconds: plan.seconds, clear, e2ee, ratio: e2ee.microsPerPacket / clear.microsPerPacket, pairRatios, allRuns: all };
}

/** "Must not rise", read against this shared machine's noise: E2EE's median within 5 % of clear's. */
export const SFU_E2EE_TOLERANCE = 1.05;

/** Rows for the end-to-end encryption section's table. */
export function sfuE2eeRows(f: SfuE2eeFigures): string[] {
  const lossy = (x: { us: number; loss: number }) => (x.loss > LOSSY_PERCENT ? `~~${fmt(x.us, 1)}~~ lost ${fmt(x.loss, 0)} %` : fmt(x.us, 1));
  const cell = (r: SfuE2eeFigures["clear"], all: { us: number; loss: number }[]) => `**${fmt(r.microsPerPacket, 1)}** (${all.map(lossy).join(", ")}) µs`;
  const failed = (r: SfuE2eeFigures["clear"]) => (r.failed ? `; ${r.failed} run(s) failed to set up` : "");
  return [
    `| SFU CPU per forwarded packet, ${f.consultations} consultations, clear payloads | ${cell(f.clear, f.allRuns.clear)} | ${fmt(f.clear.forwardedPerSecond, 0)} packets/s${failed(f.clear)} |`,
    `| SFU CPU per forwarded packet, ${f.consultations} consultations, E2EE payloads | ${cell(f.e2ee, f.allRuns.e2ee)} | ${fmt(f.e2ee.forwardedPerSecond, 0)} packets/s${failed(f.e2ee)} |`,
    `| SFU CPU per packet, E2EE ÷ clear | **${fmt(f.ratio, 3)}** (run by run: ${f.pairRatios.map((x) => fmt(x, 2)).join(", ")}; median ${fmt(median(f.pairRatios), 2)}) | must not rise (≤ ${fmt(SFU_E2EE_TOLERANCE, 2)}, this machine's run-to-run noise): ${f.ratio <= SFU_E2EE_TOLERANCE ? "met" : "**missed**"} |`,
  ];
}

const signedPercent = (ratio: number): string => `${ratio >= 1 ? "+" : "−"}${fmt(Math.abs(ratio - 1) * 100, 1)} %`;
/** (max − min) ÷ median, in percent. */
const spread = (xs: number[]): number => ((Math.max(...xs) - Math.min(...xs)) / median(xs)) * 100;

export function sfuE2eeParagraph(f: SfuE2eeFigures): string {
  return `The media server with end-to-end encrypted media (\`benchSfuE2ee\` in \`scripts/bench/sfu.ts\`, run by \`npm run bench -- e2ee\`;
\`npm run bench -- sfu\` still measures clear payloads only): the synthetic consultations of the section "Media server
(SFU)", Kabinet's SFU alone at ${f.consultations} consultations without simulcast${f.consultations === 20 ? " (its headline level)" : ""}, each run ${f.seconds} s after the
warm-up, runs with clear and with E2EE payloads alternated (clear, E2EE, E2EE, clear, …), medians of ${f.clear.runs.length} + ${f.e2ee.runs.length} runs;
${f.isolated ? "in a private network namespace as that section does; " : ""}load average ${f.load.map((x) => fmt(x, 1)).join(" → ")}. E2EE payloads are frames as a browser
with end-to-end encryption sends them (\`scripts/bench/srtp-generator.ts\`): each video frame's bytes are the clear
prefix (10 bytes on keyframes, 3 otherwise), the SFrame header, the ciphertext and the 16-byte tag, made by
\`protectFrame\` (\`web/call/e2ee/frames.ts\`, WebCrypto) and cut into packets behind the VP8 descriptor; audio is
the SFrame of a 120-byte Opus frame (140 bytes with a 3-byte counter). The plain frames are sized so that their protected form fills the
same packets as the clear variant's (4 or 5 packets of 1,100 bytes per frame), so both variants send the same packets,
sizes and rates, and differ only in what the payloads hold; a browser's frames grow by 20 bytes under SFrame, under 0.5 %
of a 4.4 KB frame. The frames are encrypted into a pool before each run, so the generator encrypts nothing while measured
(it used ${fmt(f.clear.generatorCorePercent, 0)} % of a core with clear payloads, ${fmt(f.e2ee.generatorCorePercent, 0)} % with E2EE, where its receivers also check that each audio
packet and each frame's first packet still carries its SFrame header after the SFU; a run fails otherwise). A run
that lost over ${LOSSY_PERCENT} % of its packets (the shared machine starving the SFU, which then forwards fewer packets for its
CPU and looks cheaper) was run again and is left out of the medians (struck through in brackets); a run that did not
set up was tried once more. Latency p99 of the runs counted: ${fmt(f.clear.p99Ms, 1)} (clear) and ${fmt(f.e2ee.p99Ms, 1)} ms (E2EE). The SFU reads only the VP8 descriptor and, on a
frame's first packet, the clear prefix (\`src/rooms/sfu/vp8.ts\`), which E2EE keeps: nothing in its per-packet path
depends on whether the rest is ciphertext. This run measured ${signedPercent(f.ratio)} with E2EE payloads (pair by pair, median
${signedPercent(median(f.pairRatios))}), while runs of one kind spread over ${fmt(spread(f.clear.runs), 0)} % (clear) and ${fmt(spread(f.e2ee.runs), 0)} % (E2EE) of their median${f.ratio <= SFU_E2EE_TOLERANCE ? "" : `: compare the runs in brackets before reading it as a cost`}.
`;
}

/** CPU per forwarded packet with payloads as end-to-end encrypted browsers send them, against clear payloads. */
export async function benchSfuE2ee(consultations = 20, runs = 6, seconds = 5): Promise<SfuE2eeFigures> {
  const load = loadavg()[0]!;
  const plan: E2eePlan = { consultations, runs, seconds };
  const isolated = canIsolate();
  const figures = isolated ? await inNamespace<Omit<SfuE2eeFigures, "load" | "isolated">>("--inside-e2ee", plan) : await measureE2ee(plan);
  return { ...figures, isolated, load: [load, loadavg()[0]!] };
}

if (import.meta.main) {
  if (process.argv[2] === "--inside-e2ee") {
    console.log(JSON.stringify(await measureE2ee(JSON.parse(process.argv[3]!) as E2eePlan)));
    process.exit(0);
  }
  if (process.argv[2] === "--inside") {
    const janus = janusVersion();
    if (!janus) console.error("  Janus is not installed (`apt-get install janus` adds the reference): measuring Kabinet alone");
    const figures = await measureAll(JSON.parse(process.argv[3]!) as Plan, janus, janus ? undefined : "Janus is not installed; `apt-get install janus` adds the reference");
    console.log(JSON.stringify(figures));
    process.exit(0);
  }
  // `bun scripts/bench/sfu.ts [levels] [runs] [seconds] [simulcast levels]`, e.g. `5,20 1 3 0` for a short
  // development run (simulcast levels "0": none).
  const [levels, runs, seconds, simulcast] = process.argv.slice(2);
  const list = (x: string) => x.split(",").map(Number).filter((n) => n > 0);
  console.log(JSON.stringify(await benchSfu(levels ? list(levels) : undefined, runs ? Number(runs) : undefined, seconds ? Number(seconds) : undefined, simulcast ? list(simulcast) : undefined), null, 1));
}
