// The intake form builder of a service (/admin/services/:id/intake). Admins only. Add, remove and move re-render the
// form as typed; only Save checks it (422 with each field's message) and stores it as the next version (audited).
import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import { getService } from "../booking/services.ts";
import { adminOnly, allow } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personZone } from "../people/people.ts";
import { getIntakeForm } from "./intake-forms.ts";
import { saveIntakeForm } from "./intake.ts";
import { type BuilderState, builderErrors, builderSchema, draftOf, FIELD_KINDS, type FieldKind, type IntakeProblem, MAX_FIELDS, readBuilderForm } from "./intake.schema.ts";
import { IntakeBuilderPage } from "./views/builder-page.tsx";

type Deps = Pick<Installation, "db" | "vault">;

const kindOf = (value: string | undefined): FieldKind => ((FIELD_KINDS as readonly string[]).includes(value ?? "") ? (value as FieldKind) : "short-text");

/** The state after an add, remove or move; null for an operation that names no question on the form. */
function applyOp(state: BuilderState, op: string, newKind: FieldKind): BuilderState | null {
  const fields = [...state.fields];
  if (op === "add") {
    fields.push({ id: randomBytes(6).toString("base64url"), kind: newKind, labelEn: "", labelRu: "", options: "", required: false });
    return { ...state, fields };
  }
  const m = /^(up|down|remove):(\d{1,3})$/.exec(op);
  const i = Number(m?.[2]);
  if (!m || i >= fields.length) return null;
  if (m[1] === "remove") fields.splice(i, 1);
  else {
    const j = m[1] === "up" ? i - 1 : i + 1;
    if (j < 0 || j >= fields.length) return null;
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  return { ...state, fields };
}

export function intakeFormRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const serviceOf = (c: Context<AppEnv>) => {
    const service = getService(deps.db, c.req.param("id") ?? "");
    if (!service) throw new AppError(404, c.get("t").errors.notFoundTitle);
    return { id: service.id, name: service.name[c.get("locale")] };
  };
  const render = (c: Context<AppEnv>, state: BuilderState, o: { newKind?: FieldKind; errors?: Record<string, IntakeProblem>; notice?: string } = {}) =>
    c.html(
      <IntakeBuilderPage
        page={pageContext(c)}
        service={serviceOf(c)}
        saved={getIntakeForm(deps.db, c.req.param("id") ?? "")}
        state={state}
        newKind={o.newKind ?? "short-text"}
        timeZone={personZone(deps.db, c.get("viewer")!.personId)}
        errors={o.errors}
        notice={o.notice}
      />,
      o.errors ? 422 : 200,
    );

  app.get("/:id/intake", allow(adminOnly), (c) => {
    const { id } = serviceOf(c);
    const saved = getIntakeForm(deps.db, id);
    const state: BuilderState = saved ? { active: saved.active, fields: saved.fields.map(draftOf) } : { active: true, fields: [] };
    const version = Number(c.req.query("saved"));
    return render(c, state, { notice: saved && version === saved.version ? c.get("t").intake.builder.saved(version) : undefined });
  });

  app.post("/:id/intake", allow(adminOnly), async (c) => {
    const { id } = serviceOf(c);
    const form = await readForm(c);
    const state = readBuilderForm(form);
    const op = form.op ?? "save";
    const newKind = kindOf(form.newKind);
    if (op === "add" && state.fields.length >= MAX_FIELDS) return render(c, state, { newKind, errors: { fields: "tooManyFields" } });
    if (op !== "save") {
      const next = applyOp(state, op, newKind);
      if (!next) throw new AppError(400, c.get("t").errors.badRequestTitle);
      return render(c, next, { newKind });
    }
    const parsed = builderSchema.safeParse(state);
    if (!parsed.success) return render(c, state, { newKind, errors: builderErrors(parsed.error) });
    const saved = saveIntakeForm(deps, id, parsed.data, c.get("viewer")!.personId, c.get("now"));
    return c.redirect(`/admin/services/${id}/intake?saved=${saved.version}`, 303);
  });

  return app;
}
