// CSV import of people (/admin/imports): upload, preview with the column mapping, import. Clients: admins and staff
// (who add clients one at a time when booking); specialists: admins only. An upload is its uploader's alone: anyone
// else's id is a 404, like an unknown one.
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type Access, adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import { personZone } from "../people/people.ts";
import { IMPORT_MAX_BYTES, type FileProblem } from "./csv-read.ts";
import { confirmImport, discardUpload, type ImportDeps, type ImportKind, type Importer, previewImport, storeUpload, uploadEnding } from "./imports.ts";
import { ImportsPage, PreviewPage } from "./views/import-pages.tsx";

/** Those who add clients: the people service's own rule for one client at a time (the booking form, the API). */
const office: Access = { who: "roles", roles: ["admin", "staff"] };

export function importRoutes(deps: ImportDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const zoneOf = (c: Context<AppEnv>) => personZone(deps.db, c.get("viewer")!.personId);
  const who = (c: Context<AppEnv>): Importer => ({ personId: c.get("viewer")!.personId, role: c.get("viewer")!.role });
  const home = (c: Context<AppEnv>, o: { problem?: { kind: ImportKind; problem: FileProblem }; notice?: string } = {}, status: 200 | 413 | 422 = 200) =>
    c.html(<ImportsPage page={pageContext(c)} canImportSpecialists={who(c).role === "admin"} {...o} />, status);

  app.get("/", allow(office), (c) => home(c));

  const upload = (kind: ImportKind) => async (c: Context<AppEnv>) => {
    let file: unknown;
    try {
      file = (await c.req.parseBody())["file"];
    } catch {
      return home(c, { problem: { kind, problem: "empty" } }, 422);
    }
    if (!(file instanceof File)) return home(c, { problem: { kind, problem: "empty" } }, 422);
    const stored = storeUpload(deps, kind, new Uint8Array(await file.arrayBuffer()), who(c));
    if (!stored.ok) return home(c, { problem: { kind, problem: stored.problem } }, stored.problem === "too-large" ? 413 : 422);
    return c.redirect(`/admin/imports/${stored.id}`, 303);
  };
  // app.ts lets these two paths past the form limit; this holds them to the file limit (and the form around it).
  const limit = (kind: ImportKind) => bodyLimit({ maxSize: IMPORT_MAX_BYTES + 64 * 1024, onError: (c) => home(c as Context<AppEnv>, { problem: { kind, problem: "too-large" } }, 413) });
  app.post("/clients", allow(office), limit("clients"), upload("clients"));
  app.post("/specialists", allow(adminOnly), limit("specialists"), upload("specialists"));

  // The preview; the mapping chosen on it travels in the query (col0=name&col1=email…): column roles, no data.
  // Once the upload is imported or discarded, the same address says what was done (the POSTs redirect here, so a
  // reload asks again, it never sends the form again).
  app.get("/:id", allow(office), (c) => {
    const id = c.req.param("id");
    const preview = previewImport(deps, id, who(c), c.req.query());
    if (preview) return c.html(<PreviewPage page={pageContext(c)} preview={preview} timeZone={zoneOf(c)} />);
    const ending = uploadEnding(deps, id, who(c));
    if (!ending) return c.notFound();
    const t = c.get("t").imports;
    return home(c, { notice: `${ending.kind === "imported" ? t.imported(ending.added, ending.invited) : t.discarded} ${t.ended}` });
  });
  /** After an import or a discard, or a form sent again once the upload is gone: to the page that says what was done. */
  const toEnding = (c: Context<AppEnv>, id: string) => (uploadEnding(deps, id, who(c)) ? c.redirect(`/admin/imports/${id}`, 303) : c.notFound());

  app.post("/:id", allow(office), async (c) => {
    const id = c.req.param("id");
    const form = await readForm(c);
    const rows = (form.rows ?? "").split(",").filter((n) => /^\d{1,6}$/.test(n)).map(Number);
    const result = confirmImport(deps, id, who(c), { form, rows, invite: form.invite === "on" });
    const t = c.get("t").imports;
    if (result.ok || result.reason === "not-found") return toEnding(c, id);
    // The mapping or the directory changed since the preview was shown: nothing was added; the preview again, now.
    const preview = previewImport(deps, id, who(c), form);
    if (!preview) return c.notFound();
    const message = result.reason === "changed" ? t.changed(result.row) : result.reason === "nothing" ? t.nothingToImport : t.fixMapping;
    return c.html(<PreviewPage page={pageContext(c)} preview={preview} timeZone={zoneOf(c)} message={message} />, 409);
  });

  app.post("/:id/discard", allow(office), (c) => {
    const id = c.req.param("id");
    discardUpload(deps, id, who(c));
    return toEnding(c, id);
  });

  return app;
}

