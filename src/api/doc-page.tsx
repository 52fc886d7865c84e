// The frame of the API's pages for developers (the reference and the guides): plain HTML on the app's own stylesheets,
// no script, so they work under the strict CSP; each links to the others.
import { raw } from "hono/html";
import { assetUrl } from "../http/assets.ts";
import { GUIDES } from "./guide-names.ts";

const BASE = "/api/v1";

/** The pages a developer moves between: the reference, each guide, the raw document. */
export const DOC_LINKS: readonly { href: string; label: string }[] = [
  { href: `${BASE}/reference`, label: "Reference" },
  ...Object.values(GUIDES).map((g) => ({ href: `${BASE}${g.path}`, label: g.label })),
  { href: `${BASE}/openapi.json`, label: "OpenAPI document (JSON)" },
];

export function DocPage(props: { title: string; current: string; children: JSX.Element | JSX.Element[] }): JSX.Element {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <title>{props.title}</title>
          <link rel="icon" href={assetUrl("favicon.svg")} type="image/svg+xml" />
          <link rel="stylesheet" href={assetUrl("pico.min.css")} />
          <link rel="stylesheet" href={assetUrl("app.css")} />
        </head>
        <body>
          <main class="container kb-api-doc" id="main">
            {/* A paragraph in the nav, not a list: Pico lays a nav's lists out in one row, too wide for a phone. */}
            <nav aria-label="API documentation">
              <p>
              {DOC_LINKS.map((l, i) => (
                <>
                  {i > 0 ? " · " : ""}
                  {l.href === props.current ? <strong aria-current="page">{l.label}</strong> : <a href={l.href}>{l.label}</a>}
                </>
              ))}
              </p>
            </nav>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}
