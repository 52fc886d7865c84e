import { raw } from "hono/html";
import { assetUrl } from "../../http/assets.ts";
import { dateTimeFormat } from "../../i18n/format.ts";
import { Field, FormAlert } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { ChatMessage } from "../chat.ts";
import type { SharedFile } from "../files.ts";
import { type LabelledRoom, ROOM_LABEL_MAX, type Room, type RoomRole } from "../rooms.ts";
import { NetworkCheck } from "./network-check.tsx";

export function RoomsPage(p: { page: PageContext; rooms: readonly LabelledRoom[]; timeZone: string; label?: string; error?: string }): JSX.Element {
  const { t, locale } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <Layout page={p.page} title={t.rooms.title}>
      <h1>{t.rooms.title}</h1>
      <form method="post" action="/rooms" novalidate>
        <FormAlert errors={{ label: p.error }} summary={t.form.errorSummary} />
        <Field name="label" label={t.rooms.labelField} hint={t.rooms.labelHint} value={p.label ?? ""} error={p.error} maxlength={ROOM_LABEL_MAX} autocomplete="off" />
        <button type="submit">{t.rooms.open}</button>
      </form>
      {p.rooms.length === 0 ? (
        <p>{t.rooms.empty}</p>
      ) : (
        <ul>
          {p.rooms.map((r) => (
            <li>
              <a href={`/rooms/${r.id}`}>{r.label ?? t.rooms.roomTitle}</a> · {t.rooms.created(when.format(r.createdAt))}
            </li>
          ))}
        </ul>
      )}
    </Layout>
  );
}

export function RoomPage(p: {
  page: PageContext;
  room: Room;
  role: RoomRole;
  inviteUrl: string | null;
  maxUploadMB: number;
  fileTypes: readonly string[];
  iceServers: readonly { urls: string; username?: string; credential?: string }[];
  /** The page's heading: the host's label for the room, or who invited the guest. */
  title?: string;
}): JSX.Element {
  const { t, nonce } = p.page;
  const r = t.rooms;
  const config = {
    roomId: p.room.id,
    role: p.role,
    iceServers: p.iceServers,
    labels: {
      waiting: r.waiting, waitingFor: r.waitingFor, admitted: r.admitted, declined: r.declined, ended: r.ended,
      connecting: r.connecting, connected: r.connected, failed: r.failed, noMedia: r.noMedia, noWebRTC: r.noWebRTC,
      someoneWaiting: r.someoneWaiting, admit: r.admit, decline: r.decline, nobodyWaiting: r.nobodyWaiting,
      mute: r.mute, unmute: r.unmute, cameraOff: r.cameraOff, cameraOn: r.cameraOn, left: r.left, fileEmpty: r.fileEmpty,
    },
  };
  // JSON in a non-executable script element; "<" escaped so no value can close the element.
  const json = JSON.stringify(config).replaceAll("<", "\\u003c");
  return (
    <Layout page={p.page} title={p.title ?? r.roomTitle}>
      <h1>{p.title ?? r.roomTitle}</h1>
      {p.inviteUrl ? (
        <details open>
          <summary>{r.inviteLabel}</summary>
          <p class="kb-link" data-testid="room-invite">
            {p.inviteUrl}
          </p>
          <p class="kb-muted">{r.inviteHint}</p>
        </details>
      ) : null}
      {p.role === "host" ? (
        <article aria-labelledby="waiting-title">
          <h2 id="waiting-title">{r.waitingTitle}</h2>
          <ul id="waiting-list" aria-live="polite">
            <li>{r.nobodyWaiting}</li>
          </ul>
        </article>
      ) : null}
      <p id="call-status" role="status" aria-live="polite"></p>
      <section id="call" class="kb-call" hidden>
        <div id="remote" class="kb-tiles"></div>
        <div class="kb-controls">
          <button id="mute" type="button" class="secondary" aria-pressed="false">{r.mute}</button>
          <button id="video-toggle" type="button" class="secondary" aria-pressed="false">{r.cameraOff}</button>
          <button id="leave" type="button" class="contrast">{r.leave}</button>
          {p.role === "host" ? <button id="end" type="button" class="contrast">{r.end}</button> : null}
        </div>
        <article aria-labelledby="chat-title" class="kb-chat">
          <h2 id="chat-title">{r.chatTitle}</h2>
          <ol id="chat-log" aria-live="polite"></ol>
          <form id="chat-form" role="group">
            <label for="chat-text" class="kb-visually-hidden">{r.chatLabel}</label>
            <input id="chat-text" name="text" maxlength={2000} autocomplete="off" placeholder={r.chatLabel} />
            <button type="submit">{r.chatSend}</button>
          </form>
        </article>
        <article aria-labelledby="files-title" class="kb-files">
          <h2 id="files-title">{r.filesTitle}</h2>
          <ul id="file-list" aria-live="polite"></ul>
          <form id="file-form">
            <label for="file-input">{r.fileLabel}</label>
            <input id="file-input" type="file" name="file" accept={p.fileTypes.map((x) => `.${x}`).join(",")} aria-describedby="file-hint" />
            <small id="file-hint">{r.fileHint(p.maxUploadMB, p.fileTypes.join(", "))}</small>
            <p id="file-error" role="alert" class="kb-alert" hidden></p>
            <button type="submit" class="secondary">{r.fileUpload}</button>
          </form>
        </article>
      </section>
      <article aria-labelledby="check-title" class="kb-check">
        <h2 id="check-title">{r.checkTitle}</h2>
        <p>{r.checkLead}</p>
        <video id="preview" class="kb-preview" autoplay muted playsinline aria-label={r.preview}></video>
        <label for="level">{r.level}</label>
        <meter id="level" min={0} max={1} value={0}></meter>
        <div class="grid">
          <div>
            <label for="camera">{r.camera}</label>
            <select id="camera"></select>
          </div>
          <div>
            <label for="mic">{r.microphone}</label>
            <select id="mic"></select>
          </div>
        </div>
        <button id="speaker-test" type="button" class="secondary outline">
          {r.speakerTest}
        </button>
        <button id="join" type="button">{p.role === "host" ? r.joinHost : r.join}</button>
        <NetworkCheck t={t} roomId={p.room.id} />
      </article>
      <script type="application/json" id="call-config">{raw(json)}</script>
      <script nonce={nonce} type="module" src={assetUrl("call.js")}></script>
    </Layout>
  );
}

export function RoomLinkInvalidPage(p: { page: PageContext }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.rooms.roomTitle}>
      <article>
        <h1>{t.link.invalidTitle}</h1>
        <p>{t.rooms.linkInvalid}</p>
      </article>
    </Layout>
  );
}

export function RoomRecordPage(p: {
  page: PageContext;
  room: LabelledRoom;
  chat: readonly ChatMessage[];
  files: readonly SharedFile[];
  timeZone: string;
}): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.rooms.recordTitle}>
      <h1>{t.rooms.recordTitle}</h1>
      {p.room.label ? <p><strong>{p.room.label}</strong></p> : null}
      <p>{t.rooms.recordLead}</p>
      <RoomRecord page={p.page} roomId={p.room.id} chat={p.chat} files={p.files} timeZone={p.timeZone} />
    </Layout>
  );
}

/** What was written and shared in a room, with times in the reader's own zone; the record page, the appointment's page and the client's page after the call show it. */
export function RoomRecord(p: { page: PageContext; roomId: string; chat: readonly ChatMessage[]; files: readonly SharedFile[]; timeZone: string }): JSX.Element {
  const { t } = p.page;
  const when = dateTimeFormat(p.page, p.timeZone);
  return (
    <>
      <article aria-labelledby="record-files">
        <h2 id="record-files">{t.rooms.filesTitle}</h2>
        {p.files.length === 0 ? (
          <p>{t.rooms.noFiles}</p>
        ) : (
          <ul>
            {p.files.map((f) => (
              <li>
                <a href={`/rooms/${p.roomId}/files/${f.id}`} download>
                  {f.name}
                </a>{" "}
                <span class="kb-muted">
                  {formatSize(f.size)} · {f.uploader} · {when.format(f.createdAt)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </article>
      <article aria-labelledby="record-chat" class="kb-chat">
        <h2 id="record-chat">{t.rooms.chatTitle}</h2>
        {p.chat.length === 0 ? (
          <p>{t.rooms.noChat}</p>
        ) : (
          <ol>
            {p.chat.map((m) => (
              <li>
                <strong>{m.author}</strong> <time datetime={new Date(m.at).toISOString()}>{when.format(m.at)}</time>
                <p>{m.text}</p>
              </li>
            ))}
          </ol>
        )}
      </article>
    </>
  );
}

/** The admission from the schedule did not happen: nobody by that id waits in the room. */
export function NotWaitingPage(p: { page: PageContext; roomId: string }): JSX.Element {
  const { t } = p.page;
  return (
    <Layout page={p.page} title={t.rooms.roomTitle}>
      <p role="alert" class="kb-alert">
        {t.rooms.notWaiting}
      </p>
      <p>
        <a href={`/rooms/${p.roomId}`} role="button">
          {t.rooms.openRoom}
        </a>{" "}
        <a href="/schedule" role="button" class="secondary">
          {t.booking.schedule.title}
        </a>
      </p>
    </Layout>
  );
}

export function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
