// Session notes (/clients/:clientId/notes): a client's notes, one note with its versions, writing, autosave,
// saving a version and finalising. The rules (who reads, who writes, versions, audit) live in notes.ts; a note or
// client the viewer may not see is a 404 as if it did not exist. Hosts only: staff and clients never reach a note.
import type { Context } from "hono";
import { Hono } from "hono";
import { allow, hostsOnly } from "../http/access.ts";
import { AppError } from "../http/app-error.ts";
import type { AppEnv } from "../http/env.ts";
import { readForm } from "../http/form.ts";
import { pageContext } from "../http/page.ts";
import type { Installation } from "../installation.ts";
import { personName, personZone } from "../people/people.ts";
import { caringAppointmentsOf } from "./care.ts";
import {
  createNote,
  finaliseNote,
  listNotesOfClient,
  mayWriteNotesFor,
  type NoteActor,
  type NoteChange,
  readNote,
  saveNoteDraft,
  saveNoteVersion,
} from "./notes.ts";
import { DraftStatus, NoteEditPage, NotePage, NotesListPage } from "./views/notes-pages.tsx";

type Deps = Pick<Installation, "db" | "vault">;

/** The form's text with the browser's line ends made plain, so an unchanged text compares equal. */
const textOf = (form: Record<string, string>): string => (form.text ?? "").replace(/\r\n/g, "\n");
/** The version the edit form was opened on; null (never the latest, so refused as stale) when missing or malformed. */
const baseOf = (form: Record<string, string>): number | null => (/^[1-9]\d{0,8}$/.test(form.base ?? "") ? Number(form.base) : null);

export function notesRoutes(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const actorOf = (c: Context<AppEnv>): NoteActor => ({ personId: c.get("viewer")!.personId, role: c.get("viewer")!.role });
  const zoneOf = (c: Context<AppEnv>): string => personZone(deps.db, c.get("viewer")!.personId);
  const notFound = (c: Context<AppEnv>): never => {
    throw new AppError(404, c.get("t").errors.notFoundTitle);
  };
  const problemOf = (c: Context<AppEnv>, reason: Exclude<NoteChange, { ok: true }>["reason"]): string => {
    const t = c.get("t").records;
    return reason === "empty" ? t.empty : reason === "too-long" ? t.tooLong : reason === "finalised" ? t.isFinalised : reason === "stale" ? t.stale : reason === "draft-pending" ? t.draftFirst : notFound(c);
  };

  const renderList = (c: Context<AppEnv>, form?: { text: string; appointmentId: string; addendumTo: string }, errors?: Record<string, string>) => {
    const clientId = c.req.param("clientId") ?? "";
    const actor = actorOf(c);
    const notes = listNotesOfClient(deps, actor, clientId, c.get("now"));
    if (!notes) return notFound(c);
    const appointments = mayWriteNotesFor(deps.db, actor, clientId)
      ? caringAppointmentsOf(deps.db, actor.personId, clientId)
          .reverse()
          .map((a) => ({ id: a.id, start: a.start }))
      : null;
    return c.html(
      <NotesListPage page={pageContext(c)} clientId={clientId} clientName={personName(deps, clientId) ?? ""} notes={notes} timeZone={zoneOf(c)} appointments={appointments} form={form} errors={errors} />,
      errors ? 422 : 200,
    );
  };

  app.get("/:clientId/notes", allow(hostsOnly), (c) => renderList(c, { text: "", appointmentId: c.req.query("appointment") ?? "", addendumTo: c.req.query("addendumTo") ?? "" }));

  app.post("/:clientId/notes", allow(hostsOnly), async (c) => {
    const form = await readForm(c);
    const clientId = c.req.param("clientId");
    const input = { text: textOf(form), appointmentId: form.appointmentId ?? "", addendumTo: form.addendumTo ?? "" };
    const actor = actorOf(c);
    // Only the viewer's own appointments with this client, and only a finalised note of theirs about them, may be named.
    const ownAppointment = input.appointmentId === "" || caringAppointmentsOf(deps.db, actor.personId, clientId).some((a) => a.id === input.appointmentId);
    const base = input.addendumTo === "" ? null : listNotesOfClient(deps, actor, clientId, c.get("now"))?.find((n) => n.id === input.addendumTo && n.authorId === actor.personId && n.finalisedAt !== null);
    if (!ownAppointment || base === undefined) throw new AppError(400, c.get("t").errors.badRequestTitle);
    const made = createNote(deps, actor, { clientId, text: input.text, appointmentId: input.appointmentId || null, addendumTo: base?.id ?? null }, c.get("now"));
    if (!made.ok) return renderList(c, input, { text: problemOf(c, made.reason) });
    return c.redirect(`/clients/${clientId}/notes/${made.note.id}`, 303);
  });

  const showNote = (c: Context<AppEnv>, o: { notice?: string; problem?: string; status?: 200 | 409 } = {}) => {
    const note = readNote(deps, actorOf(c), c.req.param("clientId") ?? "", c.req.param("noteId") ?? "", c.get("now"));
    if (!note) return notFound(c);
    return c.html(<NotePage page={pageContext(c)} note={note} timeZone={zoneOf(c)} isAuthor={note.authorId === actorOf(c).personId} notice={o.notice} problem={o.problem} />, o.status ?? 200);
  };

  app.get("/:clientId/notes/:noteId", allow(hostsOnly), (c) => showNote(c));

  app.get("/:clientId/notes/:noteId/edit", allow(hostsOnly), (c) => {
    const actor = actorOf(c);
    const note = readNote(deps, actor, c.req.param("clientId"), c.req.param("noteId"), c.get("now"));
    if (!note || note.authorId !== actor.personId) return notFound(c);
    if (note.finalisedAt !== null) return showNote(c, { problem: c.get("t").records.isFinalised, status: 409 });
    const text = note.draft?.text ?? note.history[note.history.length - 1]!.text;
    return c.html(<NoteEditPage page={pageContext(c)} note={note} timeZone={zoneOf(c)} text={text} />);
  });

  app.post("/:clientId/notes/:noteId", allow(hostsOnly), async (c) => {
    const form = await readForm(c);
    const { clientId, noteId } = c.req.param();
    const saved = saveNoteVersion(deps, actorOf(c), clientId, noteId, textOf(form), baseOf(form), c.get("now"));
    if (!saved.ok && saved.reason === "finalised") return showNote(c, { problem: c.get("t").records.isFinalised, status: 409 });
    if (!saved.ok && saved.reason === "not-found") return notFound(c);
    if (!saved.ok) {
      // The typed text comes back in the textarea, so a refused save (stale, empty, too long) loses nothing; a stale
      // one is re-rendered on the latest version, so the author can compare and Save again on purpose.
      const problem = problemOf(c, saved.reason);
      const note = readNote(deps, actorOf(c), clientId, noteId, c.get("now"));
      if (!note) return notFound(c);
      return c.html(<NoteEditPage page={pageContext(c)} note={note} timeZone={zoneOf(c)} text={textOf(form)} errors={{ text: problem }} />, saved.reason === "stale" ? 409 : 422);
    }
    return showNote(c, { notice: saved.changed ? c.get("t").records.saved : c.get("t").records.unchanged });
  });

  app.post("/:clientId/notes/:noteId/draft", allow(hostsOnly), async (c) => {
    const form = await readForm(c);
    const saved = saveNoteDraft(deps, actorOf(c), c.req.param("clientId"), c.req.param("noteId"), textOf(form), baseOf(form), c.get("now"));
    if (!saved.ok && saved.reason === "not-found") return notFound(c);
    const error = saved.ok ? undefined : saved.reason === "stale" ? c.get("t").records.staleDraft : problemOf(c, saved.reason);
    return c.html(<DraftStatus page={pageContext(c)} at={saved.ok ? c.get("now") : null} timeZone={zoneOf(c)} error={error} />, saved.ok ? 200 : saved.reason === "finalised" || saved.reason === "stale" ? 409 : 422);
  });

  app.post("/:clientId/notes/:noteId/finalise", allow(hostsOnly), (c) => {
    const done = finaliseNote(deps, actorOf(c), c.req.param("clientId"), c.req.param("noteId"), c.get("now"));
    if (!done.ok && done.reason === "finalised") return showNote(c, { problem: c.get("t").records.isFinalised, status: 409 });
    if (!done.ok && done.reason === "draft-pending") return showNote(c, { problem: c.get("t").records.draftFirst, status: 409 });
    if (!done.ok) return notFound(c);
    return c.redirect(`/clients/${done.note.clientId}/notes/${done.note.id}`, 303);
  });

  return app;
}
