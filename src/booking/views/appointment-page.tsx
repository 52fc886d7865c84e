// One appointment's page. Its upper part (when, status, Join, who is in the room) is AppointmentLive, which polls
// itself every 15 seconds while something can still change, so Join appears when the window opens and a cancellation,
// a move or "your specialist is in the room" shows without a reload. After the call the page shows its record.
import { dateTimeFormat } from "../../i18n/format.ts";
import type { ChatMessage } from "../../rooms/chat.ts";
import type { SharedFile } from "../../rooms/files.ts";
import { RoomRecord } from "../../rooms/views/room-pages.tsx";
import { ActionButton, type FieldErrors, FormAlert, Notice, TextArea } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import { type AppointmentView, statusLabel } from "./booking-pages.tsx";
import { zoneName } from "../../i18n/zones.ts";

export const APPOINTMENT_LIVE_ID = "appointment-live";

/** Who is in the appointment's room right now, as the viewer needs to know it. */
export type Presence =
  /** The client's view: the specialist has started the call. */
  | { kind: "host-in" }
  /** The specialist's view: the client waits; `admit` lets them in from here. */
  | { kind: "client-waiting"; admit: string }
  | null;

export interface AppointmentLiveProps {
  page: PageContext;
  a: AppointmentView;
  timeZone: string;
  viewerIsClient: boolean;
  /** The viewer may join now (their own appointment, online, within the window). */
  joinOpen: boolean;
  presence: Presence;
  /** Where the record of the call is, for someone who may read it. */
  recordHref: string | null;
  cancelReason: string | null;
  address?: string | null;
  /** Keep polling: something may still change (booked, and not long past its end). */
  polls: boolean;
}

/** The part of the page that stays current by itself; the page route returns it alone for an htmx request. */
export function AppointmentLive(p: AppointmentLiveProps): JSX.Element {
  const { t, locale } = p.page;
  const a = t.booking.appt;
  const b = t.booking.book;
  const x = p.a;
  const when = dateTimeFormat(p.page, p.timeZone);
  // Morphing leaves an unchanged part untouched, so a screen reader hears only what changed.
  const poll = p.polls ? { "hx-get": `/appointments/${x.id}`, "hx-trigger": "every 15s", "hx-swap": "outerMorph" } : {};
  return (
    <section id={APPOINTMENT_LIVE_ID} {...poll}>
      <dl class="kb-facts">
        <dt>{b.when}</dt>
        <dd>
          <strong>{when.format(x.start)}</strong> <small class="kb-muted">({zoneName(p.timeZone, locale)})</small>
        </dd>
        <dt>{b.with}</dt>
        <dd>{x.specialistName}</dd>
        {p.address ? (
          <>
            <dt>{b.where}</dt>
            <dd>{p.address}</dd>
          </>
        ) : null}
        {p.viewerIsClient ? null : (
          <>
            <dt>{b.client}</dt>
            <dd>{x.clientName}</dd>
          </>
        )}
        <dt>{a.statusLabel}</dt>
        <dd data-testid="appointment-status">{statusLabel(t, x, p.page.now)}</dd>
        {p.cancelReason ? (
          <>
            <dt>{a.reasonLabel}</dt>
            <dd>{p.cancelReason}</dd>
          </>
        ) : null}
      </dl>
      <div aria-live="polite">
        {p.presence?.kind === "host-in" ? <Notice>{a.hostIn}</Notice> : null}
        {p.presence?.kind === "client-waiting" ? (
          <div class="kb-notice">
            <p>
              <mark class="kb-waiting-badge">{a.clientWaiting}</mark>
            </p>
            <ActionButton action={p.presence.admit} label={t.booking.schedule.admit} />
          </div>
        ) : null}
        {x.online && x.status === "booked" ? (
          p.joinOpen ? (
            <form method="post" action={`/appointments/${x.id}/join`}>
              {/* Admit is the one primary action while the client waits. */}
              <button type="submit" class={p.presence?.kind === "client-waiting" ? "secondary" : undefined}>
                {a.join}
              </button>
            </form>
          ) : x.end > p.page.now ? (
            <p class="kb-muted">{a.joinOpens}</p>
          ) : null
        ) : null}
      </div>
      {p.recordHref ? (
        <p>
          <a href={p.recordHref}>{a.record}</a>
        </p>
      ) : null}
    </section>
  );
}

export function AppointmentPage(
  p: AppointmentLiveProps & {
    mayChange: boolean;
    mayMarkNoShow: boolean;
    /** How many later sessions of its series could be cancelled along with it. */
    laterInSeries: number;
    cancelHours: number;
    /** What was written and shared in the call, once it has ended, for someone who may read it. */
    record: { roomId: string; chat: readonly ChatMessage[]; files: readonly SharedFile[] } | null;
    /** The client's session notes, for the specialist who keeps them (src/records); null for anyone else. */
    notesHref?: string | null;
    /** The intake form's part (src/intake/intake-panel.tsx): what the client should do, or the answers for the specialist. */
    intake?: JSX.Element | null;
    /** Its online payment, when the service is paid online (src/payments): the status and where to see or pay it. */
    payment?: { href: string; status: string; pending: boolean } | null;
    notice?: string;
    errors?: FieldErrors;
  },
): JSX.Element {
  const { t } = p.page;
  const a = t.booking.appt;
  const x = p.a;
  const e = p.errors ?? {};
  return (
    <Layout page={p.page} title={a.one}>
      <p>
        <a href={p.viewerIsClient ? "/appointments" : "/schedule"}>← {p.viewerIsClient ? a.title : t.booking.schedule.title}</a>
      </p>
      <h1>{x.serviceName}</h1>
      {p.notice ? <Notice>{p.notice}</Notice> : null}
      <FormAlert errors={e} message={e[""]} summary={t.form.errorSummary} />
      <AppointmentLive {...p} recordHref={p.record ? null : p.recordHref} />
      {p.notesHref ? (
        <p>
          <a href={p.notesHref}>{t.records.clientNotes}</a>
        </p>
      ) : null}
      {p.intake ?? null}
      {p.payment ? (
        <p>
          {t.payments.title}: {p.payment.status}{" "}
          <a href={p.payment.href} role={p.payment.pending && p.viewerIsClient ? "button" : undefined}>
            {p.payment.pending && p.viewerIsClient ? t.payments.payLink : t.payments.details}
          </a>
        </p>
      ) : null}
      {x.status === "booked" ? (
        <p>
          <a href={`/appointments/${x.id}/calendar.ics`} download="appointment.ics">
            {a.addToCalendar}
          </a>
        </p>
      ) : null}
      {p.mayChange ? (
        <>
          <p>
            <a href={`/appointments/${x.id}/reschedule`} role="button" class="secondary">
              {a.reschedule}
            </a>
          </p>
          <details open={Boolean(e.reason)}>
            <summary>{a.cancel}</summary>
            <form method="post" action={`/appointments/${x.id}/cancel`} novalidate>
              <TextArea name="reason" label={p.viewerIsClient ? a.reasonOptional : a.reasonRequired} value="" error={e.reason} rows={2} />
              {p.laterInSeries > 0 ? (
                <label>
                  <input type="checkbox" name="series" value="on" />
                  {a.alsoLater(p.laterInSeries)}
                </label>
              ) : null}
              <button type="submit" class="contrast">
                {a.cancelConfirm}
              </button>
            </form>
          </details>
        </>
      ) : x.status === "booked" && x.start > p.page.now && p.viewerIsClient ? (
        <p class="kb-muted">{a.windowClosed(p.cancelHours)}</p>
      ) : null}
      {p.mayMarkNoShow ? <ActionButton action={`/appointments/${x.id}/no-show`} label={a.noShow} variant="secondary" /> : null}
      {p.record ? (
        <section aria-labelledby="record-title">
          <h2 id="record-title">{t.rooms.recordTitle}</h2>
          <RoomRecord page={p.page} roomId={p.record.roomId} chat={p.record.chat} files={p.record.files} timeZone={p.timeZone} />
        </section>
      ) : null}
    </Layout>
  );
}
