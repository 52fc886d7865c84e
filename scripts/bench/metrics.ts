// What a Prometheus scrape of /metrics costs, with a registry as a working appliance has it: a few thousand requests
// over many routes (signed in and not, found and not), so the HTTP counter and histogram hold many series, and a
// database with an organisation in it. Each run times many scrapes in a row; the figure is the median over runs.
import { createApp } from "../../src/app.ts";
import { createMetrics } from "../../src/ops/metrics.ts";
import { cookieFor, setUpOrganisation } from "../../test/support/accounts.ts";
import { makeInstallation } from "../../test/support/installation.ts";
import { fmt, median, microsPerCall } from "./stats.ts";

const REQUESTS = 3_000;
const SCRAPES = 200;
const RUNS = 5;
const PATHS = [
  "/livez", "/readyz", "/signin", "/", "/account", "/book", "/schedule", "/appointments", "/hours", "/calendar",
  "/admin/people", "/admin/audit", "/admin/mail", "/admin/media", "/admin/settings", "/admin/services", "/admin/consent",
  "/admin/people/{id}", "/rooms/{id}", "/rooms/{id}/after", "/appointments/{id}", "/assets/{id}.css", "/no/such/{id}",
];

export async function run(): Promise<string> {
  const inst = makeInstallation({ KABINET_LOG_LEVEL: "error" });
  const metrics = createMetrics(inst);
  try {
    const app = createApp(inst, { metrics });
    const admin = await setUpOrganisation(inst);
    const cookie = cookieFor(inst, admin.personId);
    for (let i = 0; i < REQUESTS; i++) {
      const path = PATHS[i % PATHS.length]!.replace("{id}", crypto.randomUUID());
      await app.request(`http://localhost${path}`, { headers: i % 3 === 0 ? {} : { cookie } });
    }
    const series = (await metrics.scrape()).split("\n").filter((l) => l && !l.startsWith("#")).length;
    const perScrape: number[] = [];
    let bytes = 0;
    for (let r = 0; r < RUNS; r++) {
      const started = performance.now();
      for (let i = 0; i < SCRAPES; i++) bytes = (await metrics.scrape()).length;
      perScrape.push((performance.now() - started) / SCRAPES);
    }
    const ms = median(perScrape);
    // What every request pays: one counter increment and one histogram observation.
    const perRequest = microsPerCall(() => metrics.observeRequest("GET", "/admin/people/:id", 200, 0.012), 100_000, RUNS);
    return [
      "## Metrics",
      "",
      `A scrape of \`/metrics\` after ${fmt(REQUESTS, 0)} requests over ${PATHS.length} paths (${series} samples in the answer), ${RUNS} runs of ${SCRAPES} scrapes in-process (the registry's own work, without the HTTP hop).`,
      "",
      "| | median | runs |",
      "|---|---|---|",
      `| time per scrape | ${fmt(ms, 2)} ms | ${perScrape.map((x) => fmt(x, 2)).join(", ")} |`,
      `| answer size | ${fmt(bytes / 1024, 1)} KiB | |`,
      `| cost per request counted | ${fmt(perRequest, 2)} µs | |`,
      `| CPU at one scrape per 15 s | ${fmt((ms / 15_000) * 100, 3)} % of one core | |`,
      "",
    ].join("\n");
  } finally {
    metrics.close();
    inst.close();
  }
}

if (import.meta.main) console.log(await run());
