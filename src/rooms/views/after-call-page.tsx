// The client's page after the call: calm, one obvious next step, and what was shared kept within reach.
import { dateTimeFormat } from "../../i18n/format.ts";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { CallAppointment } from "../after-call.routes.tsx";
import type { ChatMessage } from "../chat.ts";
import type { SharedFile } from "../files.ts";
import { RoomRecord } from "./room-pages.tsx";

export function AfterCallPage(p: {
  page: PageContext;
  appointment: CallAppointment | null;
  record: { roomId: string; chat: readonly ChatMessage[]; files: readonly SharedFile[] } | null;
  timeZone: string;
}): JSX.Element {
  const { t, locale } = p.page;
  const r = t.rooms;
  const when = dateTimeFormat(p.page, p.timeZone);
  const a = p.appointment;
  return (
    <Layout page={p.page} title={r.afterTitle}>
      <h1>{r.afterTitle}</h1>
      {a ? (
        <p>
          {a.title} · {when.format(a.start)}
        </p>
      ) : null}
      <p>{r.afterLead}</p>
      {a ? (
        <section aria-labelledby="next-title">
          <h2 id="next-title">{r.nextTitle}</h2>
          {a.next ? (
            <p>
              <a href={a.next.href}>
                {when.format(a.next.start)} · {a.next.title}
              </a>
            </p>
          ) : (
            <p>{r.noNext}</p>
          )}
          <p>
            {a.bookAgain ? (
              <a href={a.bookAgain} role="button">
                {r.bookAgain}
              </a>
            ) : null}{" "}
            <a href="/appointments" role="button" class="secondary">
              {r.myAppointments}
            </a>
          </p>
        </section>
      ) : null}
      {p.record ? <RoomRecord page={p.page} roomId={p.record.roomId} chat={p.record.chat} files={p.record.files} timeZone={p.timeZone} /> : null}
    </Layout>
  );
}
