// The admin's intake form builder: one plain form. Adding, removing and moving a question are submit buttons of the
// same form (name "op"), so every change works without JavaScript and nothing typed is lost between them; only Save
// checks and stores the form.
import { dateTimeFormat } from "../../i18n/format.ts";
import { FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { IntakeForm } from "../intake-forms.ts";
import { type BuilderState, type DraftField, FIELD_KINDS, type IntakeProblem, MAX_FIELDS, MAX_LABEL } from "../intake.schema.ts";

export function IntakeBuilderPage(p: {
  page: PageContext;
  service: { id: string; name: string };
  saved: IntakeForm | null;
  state: BuilderState;
  newKind: string;
  timeZone: string;
  errors?: Readonly<Record<string, IntakeProblem>>;
  notice?: string;
}): JSX.Element {
  const { t } = p.page;
  const b = t.intake.builder;
  const e = p.errors ?? {};
  const message = (key: string): string | undefined => (e[key] ? t.intake.problems[e[key]!] : undefined);
  const when = dateTimeFormat(p.page, p.timeZone);
  const last = p.state.fields.length - 1;
  return (
    <Layout page={p.page} title={b.title(p.service.name)}>
      <p>
        <a href={`/admin/services/${p.service.id}`}>← {b.back}</a>
      </p>
      <h1>{b.title(p.service.name)}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{b.lead}</p>
      <p class="kb-muted">
        {p.saved ? b.version(p.saved.version, when.format(p.saved.updatedAt)) : b.never} {b.limits}
      </p>
      <form method="post" action={`/admin/services/${p.service.id}/intake`} novalidate>
        {/* Enter in a text box presses the form's first submit button: let that be Save, not "Move up". */}
        <button type="submit" name="op" value="save" class="kb-visually-hidden" tabindex={-1} aria-hidden="true">
          {b.save}
        </button>
        <FormAlert errors={e} message={message("fields")} summary={t.form.errorSummary} />
        <label>
          <input type="checkbox" name="active" value="on" role="switch" checked={p.state.active} />
          {b.active}
        </label>
        {p.state.fields.length === 0 ? <p class="kb-muted">{b.empty}</p> : null}
        {p.state.fields.map((f, i) => (
          <FieldEditor page={p.page} field={f} index={i} first={i === 0} last={i === last} error={(name) => message(`f${i}.${name}`)} />
        ))}
        <fieldset class="grid">
          <div>
            <label for="f-newKind">{b.newKind}</label>
            <select id="f-newKind" name="newKind">
              {FIELD_KINDS.map((k) => (
                <option value={k} selected={k === p.newKind}>
                  {b.kinds[k]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <button type="submit" name="op" value="add" class="secondary" disabled={p.state.fields.length >= MAX_FIELDS}>
              {b.add}
            </button>
          </div>
        </fieldset>
        <button type="submit" name="op" value="save">
          {b.save}
        </button>
      </form>
    </Layout>
  );
}

function FieldEditor(p: { page: PageContext; field: DraftField; index: number; first: boolean; last: boolean; error: (name: string) => string | undefined }): JSX.Element {
  const b = p.page.t.intake.builder;
  const f = p.field;
  const id = (name: string) => `f-f${p.index}-${name}`;
  const described = (name: string, hint?: boolean) => [p.error(name) ? `${id(name)}-error` : null, hint ? `${id(name)}-hint` : null].filter(Boolean).join(" ") || undefined;
  const n = `f${p.index}.`;
  return (
    <fieldset>
      <legend>
        <strong>{b.field(p.index + 1)}</strong>
      </legend>
      <input type="hidden" name={`${n}id`} value={f.id} />
      <label for={id("kind")}>{b.kind}</label>
      <select id={id("kind")} name={`${n}kind`} aria-invalid={p.error("kind") ? "true" : undefined} aria-describedby={described("kind")}>
        {FIELD_KINDS.map((k) => (
          <option value={k} selected={k === f.kind}>
            {b.kinds[k]}
          </option>
        ))}
      </select>
      {p.error("kind") ? <small id={`${id("kind")}-error`}>{p.error("kind")}</small> : null}
      {(["labelEn", "labelRu"] as const).map((name) => (
        <>
          <label for={id(name)}>{b[name]}</label>
          <input id={id(name)} name={`${n}${name}`} value={f[name]} maxlength={MAX_LABEL} aria-invalid={p.error(name) ? "true" : undefined} aria-describedby={described(name, name === "labelRu")} />
          {p.error(name) ? <small id={`${id(name)}-error`}>{p.error(name)}</small> : null}
          {name === "labelRu" ? <small id={`${id(name)}-hint`}>{b.labelHint}</small> : null}
        </>
      ))}
      <label for={id("options")}>{b.options}</label>
      <textarea id={id("options")} name={`${n}options`} rows={3} aria-invalid={p.error("options") ? "true" : undefined} aria-describedby={described("options", true)}>
        {f.options}
      </textarea>
      {p.error("options") ? <small id={`${id("options")}-error`}>{p.error("options")}</small> : null}
      <small id={`${id("options")}-hint`}>{b.optionsHint}</small>
      <label>
        <input type="checkbox" name={`${n}required`} value="on" checked={f.required} />
        {b.required}
      </label>
      <div>
        {p.first ? null : (
          <button type="submit" name="op" value={`up:${p.index}`} class="secondary kb-inline" aria-label={`${b.up}: ${b.field(p.index + 1)}`}>
            {b.up}
          </button>
        )}
        {p.last ? null : (
          <button type="submit" name="op" value={`down:${p.index}`} class="secondary kb-inline" aria-label={`${b.down}: ${b.field(p.index + 1)}`}>
            {b.down}
          </button>
        )}
        <button type="submit" name="op" value={`remove:${p.index}`} class="contrast kb-inline" aria-label={`${b.remove}: ${b.field(p.index + 1)}`}>
          {b.remove}
        </button>
      </div>
    </fieldset>
  );
}
