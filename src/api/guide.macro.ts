// A Bun macro: runs when the code is bundled (and when `bun run` transpiles it). The integrator's guides under docs/
// rendered to HTML here, so the single binary serves them at /api/v1/guide without a docs folder beside it, and the
// appliance renders no Markdown at run time. Rendered by the runtime's own Markdown parser (Bun.markdown, CommonMark
// with GFM tables): no dependency. Raw HTML in the files is not passed through (maintainers' comments are dropped),
// links between the guides point at their served addresses, and wide tables and code scroll inside their own box.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { GUIDES, type GuideName, type RenderedGuide } from "./guide-names.ts";

const API_BASE = "/api/v1";

/** `webhooks.md#replay` → `/api/v1/guide/webhooks#replay`; any other link as written. */
function servedLink(href: string): string {
  const [file, anchor] = href.split("#", 2) as [string, string | undefined];
  const guide = Object.values(GUIDES).find((g) => g.file === file.replace(/^(\.\/|docs\/)/, ""));
  return guide ? `${API_BASE}${guide.path}${anchor ? `#${anchor}` : ""}` : href;
}

export function renderGuide(markdown: string): RenderedGuide {
  const text = markdown.replace(/<!--[\s\S]*?-->\n?/g, "");
  const title = /^# (.+)$/m.exec(text)?.[1]?.trim() ?? "Guide";
  const html = Bun.markdown
    .html(text, { headings: { ids: true }, noHtmlBlocks: true, noHtmlSpans: true, tagFilter: true })
    .replace(/<a href="([^"#:][^":]*\.md(?:#[^"]*)?)"/g, (_m, href: string) => `<a href="${servedLink(href)}"`)
    .replaceAll("<table>", '<div class="overflow-auto" tabindex="0" role="region" aria-label="Table"><table>')
    .replaceAll("</table>", "</table></div>")
    .replaceAll("<pre>", '<pre tabindex="0">');
  return { title, html };
}

/** Every guide, rendered: what the binary carries. */
export function renderedGuides(): Record<GuideName, RenderedGuide> {
  const docs = join(import.meta.dir, "../../docs");
  return Object.fromEntries(Object.entries(GUIDES).map(([name, g]) => [name, renderGuide(readFileSync(join(docs, g.file), "utf8"))])) as Record<GuideName, RenderedGuide>;
}
