import { raw } from "hono/html";
import { dateTimeFormat } from "../../i18n/format.ts";
import { ActionButton, type FieldErrors, FormAlert, Notice } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { renderNoteMarkdown } from "../note-markdown.ts";
import { NOTE_MAX_CHARS, type Note, type NoteSummary } from "../notes.ts";

const base = (clientId: string): string => `/clients/${clientId}/notes`;

/** The note's text as HTML made only by our renderer (note-markdown.ts escapes everything the author typed). */
function NoteBody(p: { text: string }): JSX.Element {
  return <div class="kb-note">{raw(renderNoteMarkdown(p.text))}</div>;
}

function NoteTextArea(p: { page: PageContext; value: string; error?: string; autosave?: string }): JSX.Element {
  const { t } = p.page;
  const describedBy = [p.error ? "f-text-error" : null, "f-text-hint"].filter(Boolean).join(" ");
  // Autosave: htmx posts the form's text to the draft endpoint two seconds after typing stops (only if it changed).
  const autosave = p.autosave ? { "hx-post": p.autosave, "hx-trigger": "keyup changed delay:2s", "hx-target": "#note-draft-status", "hx-swap": "outerHTML" } : {};
  return (
    <>
      <label for="f-text">{t.records.text}</label>
      <textarea id="f-text" name="text" rows={16} maxlength={NOTE_MAX_CHARS} aria-invalid={p.error ? "true" : undefined} aria-describedby={describedBy} {...autosave}>
        {p.value}
      </textarea>
      {p.error ? <small id="f-text-error">{p.error}</small> : null}
      <small id="f-text-hint">{t.records.textHint}</small>
    </>
  );
}

export interface AppointmentChoice {
  id: string;
  start: number;
}

export function NotesListPage(p: {
  page: PageContext;
  clientId: string;
  clientName: string;
  notes: readonly NoteSummary[];
  timeZone: string;
  /** The appointments a new note may be tied to; null: the viewer may not write notes about this client. */
  appointments: readonly AppointmentChoice[] | null;
  form?: { text: string; appointmentId: string; addendumTo: string };
  errors?: FieldErrors;
}): JSX.Element {
  const { t } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  const e = p.errors ?? {};
  const title = `${t.records.notesTitle}: ${p.clientName}`;
  return (
    <Layout page={p.page} title={title}>
      <p>
        <a href={`/clients/${p.clientId}`}>{t.care.recordTitle(p.clientName)}</a>
      </p>
      <h1>{title}</h1>
      <p>{t.records.notesLead}</p>
      {p.notes.length === 0 ? <p class="kb-muted">{t.records.none}</p> : null}
      <ul>
        {p.notes.map((n) => (
          <li>
            <a href={`${base(p.clientId)}/${n.id}`}>{t.records.note(when.format(n.createdAt))}</a> · {t.records.versions(n.versions)}
            {n.finalisedAt !== null ? ` · ${t.records.finalisedShort}` : null}
            {n.addendumTo !== null ? ` · ${t.records.addendumOf}` : null}
          </li>
        ))}
      </ul>
      {p.appointments ? (
        <section aria-labelledby="new-note">
          <h2 id="new-note">{p.form?.addendumTo ? t.records.addendumOf : t.records.write}</h2>
          <form method="post" action={base(p.clientId)} novalidate>
            <FormAlert errors={e} summary={t.form.errorSummary} />
            {p.form?.addendumTo ? <input type="hidden" name="addendumTo" value={p.form.addendumTo} /> : null}
            <label for="f-appointmentId">{t.records.appointment}</label>
            <select id="f-appointmentId" name="appointmentId">
              <option value="">{t.records.noAppointment}</option>
              {p.appointments.map((a) => (
                <option value={a.id} selected={a.id === p.form?.appointmentId}>
                  {when.format(a.start)}
                </option>
              ))}
            </select>
            <NoteTextArea page={p.page} value={p.form?.text ?? ""} error={e.text} />
            <button type="submit">{t.records.save}</button>
          </form>
        </section>
      ) : null}
    </Layout>
  );
}

export function NotePage(p: { page: PageContext; note: Note; timeZone: string; isAuthor: boolean; notice?: string; problem?: string }): JSX.Element {
  const { t } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  const n = p.note;
  const current = n.history[n.history.length - 1]!;
  const earlier = n.history.slice(0, -1).reverse();
  const url = `${base(n.clientId)}/${n.id}`;
  return (
    <Layout page={p.page} title={t.records.note(when.format(n.createdAt))}>
      <p>
        <a href={base(n.clientId)}>{t.records.back}</a>
      </p>
      <h1>{t.records.note(when.format(n.createdAt))}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      {p.problem ? <FormAlert message={p.problem} summary={p.problem} /> : null}
      {n.addendumTo ? (
        <p>
          <a href={`${base(n.clientId)}/${n.addendumTo}`}>{t.records.addendumOf}</a>
        </p>
      ) : null}
      <p class="kb-muted">
        {t.records.version(current.version, when.format(current.createdAt))} ({t.records.current})
        {n.finalisedAt !== null ? ` · ${t.records.finalised(when.format(n.finalisedAt))}` : null}
      </p>
      <NoteBody text={current.text} />
      {p.isAuthor && n.finalisedAt === null ? (
        <>
          {n.draft ? <p class="kb-muted">{t.records.draftPending(when.format(n.draft.at))}</p> : null}
          <p>
            <a href={`${url}/edit`} role="button">
              {t.records.edit}
            </a>
          </p>
          <p class="kb-muted">{t.records.finaliseHint}</p>
          <ActionButton action={`${url}/finalise`} label={t.records.finalise} variant="secondary" />
        </>
      ) : null}
      {p.isAuthor && n.finalisedAt !== null ? (
        <p>
          <a href={`${base(n.clientId)}?addendumTo=${n.id}#new-note`}>{t.records.addendum}</a>
        </p>
      ) : null}
      {earlier.length > 0 ? (
        <section aria-labelledby="note-history">
          <h2 id="note-history">{t.records.history}</h2>
          {earlier.map((v) => (
            <details>
              <summary>{t.records.version(v.version, when.format(v.createdAt))}</summary>
              <NoteBody text={v.text} />
            </details>
          ))}
        </section>
      ) : null}
    </Layout>
  );
}

/** Where autosave reports; the draft endpoint returns it alone, and it replaces itself. */
export function DraftStatus(p: { page: PageContext; at: number | null; timeZone: string; error?: string }): JSX.Element {
  const { t } = p.page;
  const time = p.at === null ? null : new Intl.DateTimeFormat(p.page.locale, { timeZone: p.timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(p.at);
  return (
    <p id="note-draft-status" role="status" class="kb-muted">
      {p.error ?? (time ? t.records.draftSaved(time) : t.records.autosaveHint)}
    </p>
  );
}

export function NoteEditPage(p: { page: PageContext; note: Note; timeZone: string; text: string; errors?: FieldErrors }): JSX.Element {
  const { t } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  const url = `${base(p.note.clientId)}/${p.note.id}`;
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={`${t.records.edit}: ${t.records.note(when.format(p.note.createdAt))}`}>
      <p>
        <a href={url}>{t.records.note(when.format(p.note.createdAt))}</a>
      </p>
      <h1>{t.records.edit}</h1>
      {p.note.draft ? <p class="kb-muted">{t.records.draftPending(when.format(p.note.draft.at))}</p> : null}
      <form method="post" action={url} novalidate>
        <FormAlert errors={e} summary={t.form.errorSummary} />
        {/* The version this text is based on, sent by Save and by every autosave: the server refuses either once a
            newer version exists, so a late autosave cannot bring back text older than what was saved. */}
        <input type="hidden" name="base" value={String(p.note.history[p.note.history.length - 1]!.version)} />
        <NoteTextArea page={p.page} value={p.text} error={e.text} autosave={`${url}/draft`} />
        <DraftStatus page={p.page} at={null} timeZone={p.timeZone} />
        <button type="submit">{t.records.save}</button>
      </form>
    </Layout>
  );
}
