// Supervision (/admin/supervisions): which host supervises which specialist, and so shares their clients' care and
// reads their notes. Admins only; every change audited (care.ts).
import type { Context } from "hono";
import { Hono } from "hono";
import { adminOnly, allow } from "../http/access.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { listPeople } from "../people/people.ts";
import { addSupervision, listSupervisions, removeSupervision, type SupervisionChange } from "./care.ts";
import { SupervisionsPage } from "./views/care-admin-pages.tsx";

type Deps = Pick<Installation, "db" | "vault">;

export function supervisionsRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const render = (c: Context<AppEnv>, o: { notice?: string; problem?: string; form?: { supervisorId: string; specialistId: string }; status?: 200 | 404 | 409 | 422 } = {}) => {
    const hosts = listPeople(deps)
      .filter((p) => (p.role === "specialist" || p.role === "admin") && !p.erased)
      .map((p) => ({ id: p.id, name: p.name }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return c.html(<SupervisionsPage page={pageContext(c)} supervisions={listSupervisions(deps)} hosts={hosts} notice={o.notice} problem={o.problem} form={o.form} />, o.status ?? 200);
  };

  app.get("/", allow(adminOnly), (c) => render(c));

  app.post("/", allow(adminOnly), async (c) => {
    const form = await readForm(c);
    const pair = { supervisorId: form.supervisorId ?? "", specialistId: form.specialistId ?? "" };
    const done = addSupervision(deps, c.get("viewer")!.personId, pair.supervisorId, pair.specialistId, c.get("now"));
    const t = c.get("t").care;
    const problems: Record<Exclude<SupervisionChange, "ok">, [string, 404 | 409 | 422]> = {
      exists: [t.supExists, 409],
      "same-person": [t.supSame, 422],
      own: [t.supOwn, 409],
      "not-host": [t.supNotHost, 422],
      "not-found": [c.get("t").errors.notFoundTitle, 404],
    };
    if (done !== "ok") return render(c, { problem: problems[done][0], form: pair, status: problems[done][1] });
    return render(c, { notice: t.supAdded });
  });

  app.post("/remove", allow(adminOnly), async (c) => {
    const form = await readForm(c);
    const done = removeSupervision(deps, c.get("viewer")!.personId, form.supervisorId ?? "", form.specialistId ?? "", c.get("now"));
    if (done !== "ok") return render(c, { problem: c.get("t").errors.notFoundTitle, status: 404 });
    return render(c, { notice: c.get("t").care.supRemoved });
  });

  return app;
}
