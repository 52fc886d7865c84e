// /api/v1/guide (docs/api.md) and its companions /api/v1/guide/webhooks and /api/v1/guide/fhir: the worked examples an
// integrator needs beside the reference, served by the appliance itself. The HTML is made at build time from the
// files in docs/ (guide.macro.ts), so the binary carries it and what is served is what the tests run.
import { raw } from "hono/html";
import { DocPage } from "./doc-page.tsx";
import { GUIDES, type GuideName, type RenderedGuide } from "./guide-names.ts";
import { renderedGuides } from "./guide.macro.ts" with { type: "macro" };

const RENDERED: Record<GuideName, RenderedGuide> = renderedGuides();

/** The guide as a page: its HTML was rendered from our own file, with raw HTML in it refused (guide.macro.ts). */
export async function renderGuidePage(name: GuideName): Promise<string> {
  const guide = RENDERED[name];
  return await (
    <DocPage title={`${guide.title} — Kabinet API`} current={`/api/v1${GUIDES[name].path}`}>
      <div class="kb-guide">{raw(guide.html)}</div>
    </DocPage>
  ).toString();
}
