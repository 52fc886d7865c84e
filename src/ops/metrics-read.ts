// Metrics whose values live elsewhere (a plain number, a file, a table) and are read when Prometheus scrapes.
import { Counter, Gauge, type Registry } from "prom-client";

/** A gauge read at each scrape. */
export function readGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** A counter kept elsewhere as a plain number (only ever growing), read at each scrape. */
export function readCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** Functions that make every oncePerScrape value read afresh; a scrape runs them first. */
export type ScrapeStart = (() => void)[];

/** A value several metrics show parts of (a file, a system call), read once per scrape. */
export function oncePerScrape<T>(read: () => T, scrapeStart: ScrapeStart): () => T {
  let value: { v: T } | null = null;
  scrapeStart.push(() => {
    value = null;
  });
  return () => (value ??= { v: read() }).v;
}
