// The process metrics, written here rather than taken from prom-client's collectDefaultMetrics, which under Bun
// reports some values that are not true. Checked under Bun 1.4 against /proc/self and known loads:
// - kept, true: CPU seconds (process.cpuUsage() matched /proc/self/stat utime/stime), resident memory
//   (memoryUsage().rss matched VmRSS), start time (matched /proc/self/stat starttime + btime), open and maximum file
//   descriptors (from /proc/self/fd and /proc/self/limits), the JavaScript heap (JSC's, through memoryUsage(): it grew
//   by the 45 MB of objects a test kept and fell when they were freed), and the event-loop delay
//   (perf_hooks.monitorEventLoopDelay: a 200 ms block read as 0.195 s);
// - dropped: nodejs_heap_space_* (V8's heap spaces: Bun's JavaScriptCore has none, all but "old" read 0),
//   nodejs_gc_duration_seconds (no GC entries reach a PerformanceObserver under Bun: never a sample),
//   nodejs_active_handles/requests/resources_total (0 with timers and sockets open), process_heap_bytes (VmData:
//   6 GB of address space JSC reserves, not a heap), nodejs_version_info (the Node.js version Bun imitates, not what
//   runs: kabinet_build_info says that), nodejs_eventloop_lag_seconds (prom-client measures one setImmediate at
//   scrape time and reports it at the next scrape: nearly always 0).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Registry } from "prom-client";
import { oncePerScrape, readCounter, readGauge, type ScrapeStart } from "./metrics-read.ts";

const START_SECONDS = Math.round(performance.timeOrigin / 1000);

export function registerProcessMetrics(registry: Registry, scrapeStart: ScrapeStart): { stop: () => void } {
  const usage = oncePerScrape(() => process.cpuUsage(), scrapeStart);
  const memory = oncePerScrape(() => process.memoryUsage(), scrapeStart);
  const cpu = (name: string, help: string, read: (u: NodeJS.CpuUsage) => number) => readCounter(registry, name, help, () => read(usage()) / 1e6);
  cpu("process_cpu_user_seconds_total", "User CPU time spent, in seconds.", (u) => u.user);
  cpu("process_cpu_system_seconds_total", "System CPU time spent, in seconds.", (u) => u.system);
  cpu("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", (u) => u.user + u.system);
  readGauge(registry, "process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", () => START_SECONDS);
  readGauge(registry, "process_resident_memory_bytes", "Resident memory size, in bytes.", () => memory().rss);
  if (existsSync("/proc/self/fd")) {
    // Linux only (where Kabinet runs); elsewhere they are left out rather than shown as 0.
    readGauge(registry, "process_open_fds", "Open file descriptors.", openFds);
    readGauge(registry, "process_max_fds", "Maximum number of open file descriptors.", maxFds);
  }
  readGauge(registry, "nodejs_heap_size_used_bytes", "JavaScript heap in use (JavaScriptCore's under Bun), in bytes.", () => memory().heapUsed);
  readGauge(registry, "nodejs_heap_size_total_bytes", "JavaScript heap capacity (JavaScriptCore's under Bun), in bytes.", () => memory().heapTotal);
  readGauge(registry, "nodejs_external_memory_bytes", "Memory of objects held outside the JavaScript heap (buffers), in bytes.", () => memory().external);

  // The longest the event loop was held up since the previous scrape: a stall between two scrapes is seen, not only
  // the delay at the moment of one. Sampled every 10 ms by the runtime (no JavaScript timer of ours).
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  readGauge(registry, "kabinet_event_loop_lag_seconds", "Longest event-loop delay since the previous scrape, in seconds.", () => {
    const seconds = delay.count > 0 ? delay.max / 1e9 : 0;
    delay.reset();
    return seconds;
  });
  return { stop: () => delay.disable() };
}

function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length - 1; // less the descriptor reading the directory
  } catch {
    return 0;
  }
}

function maxFds(): number {
  try {
    const soft = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
    return soft ? Number(soft) : 0;
  } catch {
    return 0;
  }
}
