// The admin's view of the media path: what browsers are told (ports, address, STUN/TURN URLs: never a credential or
// the secret) and a check that tries each path from the admin's own browser (web/media-check.ts fills it in).
import { raw } from "hono/html";
import { assetUrl } from "../../http/assets.ts";
import type { MediaPath } from "../../rooms/turn.ts";
import { Layout, type PageContext } from "../../views/layout.tsx";

/** One path to check: the browser's ICE configuration for it (a relay path carries that server's fresh credentials). */
export interface PathCheck {
  path: MediaPath;
  url: string | null;
  rtc: RTCConfiguration;
}

export type MediaCheckLabels = { running: string; reachable: string; unreachable: string; failed: string; figures: string };

export function MediaPage(p: {
  page: PageContext;
  ports: readonly [number, number];
  advertised: string | null;
  urls: readonly string[];
  credentials: "minted" | "fixed" | "none";
  checks: readonly PathCheck[];
}): JSX.Element {
  const { t, nonce } = p.page;
  const m = t.adminMedia;
  const ports = `${p.ports[0]}–${p.ports[1]}`;
  const labels: MediaCheckLabels = { running: m.running, reachable: m.reachable, unreachable: m.unreachable, failed: m.failed, figures: m.figures };
  // JSON in a non-executable script element; "<" escaped so no value can close the element.
  const json = JSON.stringify(p.checks.map((c) => c.rtc)).replaceAll("<", "\\u003c");
  const hint = (path: MediaPath): string => (path === "direct" ? m.hint.direct(ports, p.advertised ?? m.advertisedNone) : m.hint[path]);
  return (
    <Layout page={p.page} title={m.title}>
      <h1>{m.title}</h1>
      <p>{m.intro}</p>
      <h2>{m.settings}</h2>
      <dl class="kb-facts">
        <dt>{m.ports}</dt>
        <dd>{ports}</dd>
        <dt>{m.advertised}</dt>
        <dd>{p.advertised ?? m.advertisedNone}</dd>
        <dt>{m.servers}</dt>
        <dd>
          {p.urls.length === 0 ? (
            m.serversNone
          ) : (
            <ul id="media-ice-servers">
              {p.urls.map((u) => (
                <li>
                  <code>{u}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>{m.credentials}</dt>
        <dd>{p.credentials === "minted" ? m.credentialsMinted : p.credentials === "fixed" ? m.credentialsFixed : m.credentialsNone}</dd>
      </dl>
      <section id="media-check" aria-labelledby="media-check-title" data-labels={JSON.stringify(labels)}>
        <h2 id="media-check-title">{m.checkTitle}</h2>
        <ul class="kb-paths" aria-live="polite">
          {p.checks.map((c, i) => (
            <li data-path={c.path} data-index={String(i)} data-state="waiting">
              <strong>{m.path[c.path]}</strong>
              {c.url ? (
                <>
                  {" "}
                  <code>{c.url}</code>
                </>
              ) : null}
              : <span class="kb-path-state">{m.waiting}</span>
              <p class="kb-path-hint kb-muted" hidden>
                {hint(c.path)}
              </p>
            </li>
          ))}
        </ul>
        <button id="media-check-run" type="button">
          {m.check}
        </button>
      </section>
      <script type="application/json" id="media-check-config">{raw(json)}</script>
      <script nonce={nonce} type="module" src={assetUrl("media-check.js")}></script>
    </Layout>
  );
}
