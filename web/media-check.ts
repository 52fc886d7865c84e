// The admin media page's path check (src/admin/views/media-page.tsx): each path in turn (direct UDP, then each TURN
// server alone and relay only) connects to the media server's echo and says reachable or not, with the figures; a
// path that fails shows its fix. Paths run one after another so each holds one media port at a time.
import type { MediaCheckLabels } from "../src/admin/views/media-page.tsx"; // types only: erased from the bundle
import { type NetworkCheckResult, runNetworkCheck } from "./network-check.ts";

type PathState = "waiting" | "running" | "reachable" | "unreachable" | "failed";

const section = document.getElementById("media-check");
if (section) setUp(section);

function setUp(section: HTMLElement): void {
  const labels = JSON.parse(section.dataset.labels ?? "{}") as MediaCheckLabels;
  const configs = JSON.parse(document.getElementById("media-check-config")?.textContent ?? "[]") as RTCConfiguration[];
  const items = [...section.querySelectorAll<HTMLLIElement>("li[data-index]")];
  const button = document.getElementById("media-check-run") as HTMLButtonElement;
  const results: { path: string; state: PathState; result?: NetworkCheckResult }[] = items.map((li) => ({ path: li.dataset.path ?? "", state: "waiting" }));
  const publish = (): void => void ((window as unknown as { kabinetMediaCheck: unknown }).kabinetMediaCheck = { done: results.every((r) => r.state !== "waiting" && r.state !== "running"), results });

  const show = (i: number, state: PathState, result?: NetworkCheckResult): void => {
    const li = items[i]!;
    li.dataset.state = state;
    results[i] = { path: li.dataset.path ?? "", state, result };
    let text = "";
    if (state === "running") text = labels.running;
    else if (state === "failed") text = `${labels.failed} ${result?.state === "done" && result.verdict === "failed" ? result.reason : ""}`.trim();
    else if (state === "reachable" && result?.state === "done" && (result.verdict === "good" || result.verdict === "weak")) text = `${labels.reachable}, ${labels.figures.replace("{rtt}", String(result.rttMs)).replace("{loss}", String(result.lossPercent))}`;
    else if (state !== "waiting") text = labels[state];
    li.querySelector(".kb-path-state")!.textContent = text;
    (li.querySelector(".kb-path-hint") as HTMLElement).hidden = state !== "unreachable";
  };

  let running = false;
  button.addEventListener("click", async () => {
    if (running) return;
    running = true;
    button.setAttribute("aria-busy", "true");
    for (let i = 0; i < items.length; i++) show(i, "waiting");
    for (let i = 0; i < items.length; i++) {
      show(i, "running");
      publish();
      const result = await runNetworkCheck("/admin/media/network-check", configs[i] ?? {});
      const state: PathState = result.state !== "done" ? "failed" : result.verdict === "none" ? "unreachable" : result.verdict === "failed" ? "failed" : "reachable";
      show(i, state, result);
    }
    publish();
    button.removeAttribute("aria-busy");
    running = false;
  });
  publish();
}
