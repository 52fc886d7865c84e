import type { Messages } from "../../i18n/messages.ts";

/** The labels the browser's check (web/network-check.ts) shows, in the page's language. */
export type NetworkCheckLabels = Pick<Messages["networkCheck"], "running" | "good" | "weak" | "none" | "failed" | "figures">;

/** The device-check page's network check: filled in by web/network-check.ts, announced politely as it changes. */
export function NetworkCheck(p: { t: Messages; roomId: string }): JSX.Element {
  const n = p.t.networkCheck;
  const labels: NetworkCheckLabels = { running: n.running, good: n.good, weak: n.weak, none: n.none, failed: n.failed, figures: n.figures };
  return (
    <section id="network-check" aria-labelledby="network-check-title" data-room={p.roomId} data-labels={JSON.stringify(labels)}>
      <h3 id="network-check-title">{n.title}</h3>
      <div role="status" aria-live="polite">
        <p id="network-check-verdict"></p>
        <p id="network-check-figures" class="kb-muted"></p>
      </div>
      <button id="network-check-again" type="button" class="secondary outline">
        {n.again}
      </button>
    </section>
  );
}
