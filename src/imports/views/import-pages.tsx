// The import pages: the uploads (clients, and specialists for admins), and an upload's preview with its column
// mapping, each row's outcome and the one button that imports. The rows' table puts the outcome second (after the
// row's number) and becomes one card per row on a phone (.kb-stack in web/app.css).
import { dateTimeFormat } from "../../i18n/format.ts";
import { Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { RowOutcome } from "../check-rows.ts";
import { type ColumnUse, columnsAsForm, FIELDS } from "../columns.ts";
import { type FileProblem, IMPORT_MAX_BYTES, IMPORT_MAX_ROWS } from "../csv-read.ts";
import type { ImportKind, Preview } from "../imports.ts";

export function ImportsPage(p: { page: PageContext; canImportSpecialists: boolean; problem?: { kind: ImportKind; problem: FileProblem }; notice?: string }): JSX.Element {
  const { t } = p.page;
  const m = t.imports;
  const kinds: ImportKind[] = p.canImportSpecialists ? ["clients", "specialists"] : ["clients"];
  return (
    <Layout page={p.page} title={m.title}>
      <h1>{m.title}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <p>{m.intro}</p>
      {kinds.map((kind) => {
        const id = `f-${kind}-file`;
        const error = p.problem?.kind === kind ? m.fileProblems[p.problem.problem] : undefined;
        return (
          <section aria-labelledby={`import-${kind}`}>
            <h2 id={`import-${kind}`}>{m.kinds[kind]}</h2>
            <form method="post" action={`/admin/imports/${kind}`} enctype="multipart/form-data">
              {error ? (
                <p role="alert" class="kb-alert">
                  {error}
                </p>
              ) : null}
              <label for={id}>{m.file}</label>
              <input id={id} name="file" type="file" accept=".csv,text/csv" required aria-invalid={error ? "true" : undefined} aria-describedby={`${id}-hint`} />
              <small id={`${id}-hint`}>{m.fileHint(IMPORT_MAX_BYTES / 1024 / 1024, IMPORT_MAX_ROWS)}</small>
              <button type="submit">{m.upload}</button>
            </form>
          </section>
        );
      })}
      {p.canImportSpecialists ? (
        <section aria-labelledby="export-link">
          <h2 id="export-link">{m.export.title}</h2>
          <p>
            <a href="/admin/exports">{m.export.link}</a>
          </p>
        </section>
      ) : null}
    </Layout>
  );
}

export function PreviewPage(p: { page: PageContext; preview: Preview; timeZone: string; message?: string }): JSX.Element {
  const { t } = p.page;
  const m = t.imports;
  const v = p.preview;
  const n = v.rowsToAdd.length;
  const until = dateTimeFormat(p.page, p.timeZone).format(v.createdAt + 24 * 3600_000);
  const fieldName = (use: ColumnUse) => m.fields[use];
  return (
    <Layout page={p.page} title={m.previewTitle[v.kind]}>
      <h1>{m.previewTitle[v.kind]}</h1>
      {p.message ? (
        <p role="alert" class="kb-alert">
          {p.message}
        </p>
      ) : null}
      <p>{m.nothingYet(until)}</p>

      <section aria-labelledby="import-columns">
        <h2 id="import-columns">{m.columnsTitle}</h2>
        <form method="get" action={`/admin/imports/${v.id}`}>
          {v.mappingProblems.length > 0 ? (
            <ul role="alert" class="kb-alert" data-testid="mapping-problems">
              {v.mappingProblems.map((problem) => (
                <li>{problem.kind === "missing" ? m.mappingMissing(fieldName(problem.field)) : m.mappingTwice(fieldName(problem.field))}</li>
              ))}
              {v.mappingProblems.some((problem) => problem.kind === "missing") ? <li data-testid="separator-hint">{m.separatorHint(v.delimiter, v.header.length)}</li> : null}
            </ul>
          ) : null}
          <div class="kb-table">
            <table>
              <thead>
                <tr>
                  <th scope="col">{m.columnHeader}</th>
                  <th scope="col">{m.columnUse}</th>
                </tr>
              </thead>
              <tbody>
                {v.header.map((h, i) => (
                  <tr>
                    <td>
                      <label for={`f-col${i}`}>{h || m.columnNumber(i + 1)}</label>
                    </td>
                    <td>
                      <select id={`f-col${i}`} name={`col${i}`} data-testid={`col${i}`}>
                        {[...FIELDS, "ignore" as const].map((use) => (
                          <option value={use} selected={v.columns[i] === use}>
                            {fieldName(use)}
                          </option>
                        ))}
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="submit" class="secondary">
            {m.updatePreview}
          </button>
        </form>
      </section>

      {v.mappingProblems.length === 0 ? (
        <section aria-labelledby="import-rows">
          <h2 id="import-rows">{m.rowsTitle}</h2>
          <p data-testid="counts">{m.counts(v.counts)}</p>
          <div class="kb-table kb-stack">
            <table>
              <thead>
                <tr>
                  <th scope="col">{m.rowHeader}</th>
                  <th scope="col">{m.outcomeHeader}</th>
                  <th scope="col">{m.fields.name}</th>
                  <th scope="col">{m.fields.email}</th>
                </tr>
              </thead>
              <tbody>
                {v.outcomes.map((o) => (
                  <OutcomeRow o={o} m={m} />
                ))}
              </tbody>
            </table>
          </div>
          <form method="post" action={`/admin/imports/${v.id}`}>
            {Object.entries(columnsAsForm(v.columns)).map(([k, val]) => (
              <input type="hidden" name={k} value={val} />
            ))}
            <input type="hidden" name="rows" value={v.rowsToAdd.join(",")} />
            <label for="f-invite">
              <input id="f-invite" type="checkbox" name="invite" aria-describedby="f-invite-hint" />
              {m.invite}
            </label>
            <small id="f-invite-hint">{m.inviteHint}</small>
            <button type="submit" disabled={n === 0}>
              {m.importN(n)}
            </button>
          </form>
        </section>
      ) : null}
      <form method="post" action={`/admin/imports/${v.id}/discard`}>
        <button type="submit" class="secondary">
          {m.discard}
        </button>
      </form>
    </Layout>
  );
}

function OutcomeRow(p: { o: RowOutcome; m: PageContext["t"]["imports"] }): JSX.Element {
  const { o, m } = p;
  const cells = o.kind === "unreadable" ? { name: "", email: "" } : o.kind === "error" ? { name: o.cells.name ?? "", email: o.cells.email ?? "" } : o.person;
  const outcome =
    o.kind === "add" ? m.outcome.add
    : o.kind === "existing" ? m.outcome.existing
    : o.kind === "repeat" ? m.outcome.repeat(o.firstRow)
    : o.kind === "unreadable" ? m.rowProblems[o.problem]
    : o.problems.map((x) => `${m.fields[x.field]}: ${m.problems[x.problem]}`).join("; ");
  return (
    <tr data-row={String(o.row)} data-outcome={o.kind}>
      <td data-label={m.rowHeader}>{o.row}</td>
      <td data-label={m.outcomeHeader}>{outcome}</td>
      <td data-label={m.fields.name}>{cells.name}</td>
      <td data-label={m.fields.email}>{cells.email}</td>
    </tr>
  );
}
