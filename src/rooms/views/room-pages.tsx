import { raw } from "hono/html";
import { assetUrl } from "../../http/assets.ts";
import { dateTimeFormat } from "../../i18n/format.ts";
import { Field, FormAlert } from "../../views/form.tsx";
import { Layout, type PageContext } from "../../views/layout.tsx";
import type { ChatMessage } from "../chat.ts";
import type { SharedFile } from "../files.ts";
import { type LabelledRoom, ROOM_LABEL_MAX, type Room, type RoomRole } from "../rooms.ts";
import { Icon, type IconName } from "./call-icons.tsx";
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
  /** Whether the organisation lets a browser that cannot encrypt end to end join (unencrypted). */
  unencryptedAllowed: boolean;
  /** The page's heading: the host's label for the room, or who invited the guest. */
  title?: string;
  /** The host's session notes for this appointment's client (src/records), opened in a new tab; null: no appointment. */
  notesHref?: string | null;
}): JSX.Element {
  const { t, nonce } = p.page;
  const r = t.rooms;
  const c = r.call;
  const host = p.role === "host";
  const config = {
    roomId: p.room.id,
    role: p.role,
    selfName: p.page.viewer?.name ?? "",
    iceServers: p.iceServers,
    e2eeWorker: assetUrl("e2ee-worker.js"),
    unencryptedAllowed: p.unencryptedAllowed,
    labels: {
      waitingFor: r.waitingFor, admitted: r.admitted, declined: r.declined,
      connecting: r.connecting, connected: r.connected, failed: r.failed, noWebRTC: r.noWebRTC,
      someoneWaiting: r.someoneWaiting, admit: r.admit, decline: r.decline, nobodyWaiting: r.nobodyWaiting,
      mute: r.mute, unmute: r.unmute, cameraOff: r.cameraOff, cameraOn: r.cameraOn, left: r.left, fileEmpty: r.fileEmpty,
      chat: r.chatTitle, files: r.filesTitle, ...c,
    },
  };
  // JSON in a non-executable script element; "<" escaped so no value can close the element.
  const json = JSON.stringify(config).replaceAll("<", "\\u003c");
  const tool = (id: string, label: string, icon: IconName, extra: { off?: IconName; hidden?: boolean; cls?: string; badge?: string; opens?: string } = {}) => (
    <button id={id} type="button" class={`kb-tool${extra.cls ? ` ${extra.cls}` : ""}`} title={label} hidden={extra.hidden}
      aria-expanded={extra.opens ? "false" : undefined} aria-controls={extra.opens}>
      <Icon name={icon} class={extra.off ? "kb-if-on" : undefined} />
      {extra.off ? <Icon name={extra.off} class="kb-if-off" /> : null}
      <span class="kb-tool-label">{label}</span>
      {extra.badge ? <span id={extra.badge} class="kb-badge" hidden></span> : null}
    </button>
  );
  return (
    <Layout page={p.page} title={p.title ?? r.roomTitle}>
      <div class="kb-precall">
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
        <p id="call-status" role="status" aria-live="polite"></p>
        <section id="notice" class="kb-notice kb-host-notice" role="status" aria-live="polite" hidden>
          <strong>{c.noticeFrom}</strong>
          <p id="notice-text"></p>
        </section>
        {host ? (
          <article id="waiting-box" aria-labelledby="waiting-title">
            <h2 id="waiting-title">{r.waitingTitle}</h2>
            <ul id="waiting-list" class="kb-people" aria-live="polite">
              <li>{r.nobodyWaiting}</li>
            </ul>
          </article>
        ) : null}
        <article id="e2ee-unsupported" class="kb-alert" role="alert" hidden aria-labelledby="e2ee-unsupported-title">
          <h2 id="e2ee-unsupported-title">{c.e2ee.unsupportedTitle}</h2>
          <p>{p.unencryptedAllowed ? c.e2ee.unsupportedAllowed : c.e2ee.unsupportedRefused}</p>
        </article>
        <article id="perm-help" class="kb-alert" hidden aria-labelledby="perm-title">
          <h2 id="perm-title">{c.permTitle}</h2>
          <p id="perm-text"></p>
          <p>{c.joinWithout}</p>
          <button id="retry" type="button" class="secondary">{c.tryAgain}</button>
        </article>
        <article aria-labelledby="check-title" class="kb-check">
          <h2 id="check-title">{r.checkTitle}</h2>
          <p>{r.checkLead}</p>
          <video id="preview" class="kb-preview" autoplay muted playsinline aria-label={r.preview}></video>
          <p id="device-note" class="kb-muted" hidden></p>
          <label for="level">{r.level}</label>
          <meter id="level" min={0} max={1} value={0}></meter>
          <div id="device-pickers" class="grid">
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
          <button id="join" type="button">{host ? r.joinHost : r.join}</button>
          <NetworkCheck t={t} roomId={p.room.id} />
        </article>
      </div>
      <section id="call" class="kb-call" hidden aria-label={r.roomTitle}>
        <div id="remote" class="kb-stage" data-count="0"></div>
        <button id="e2ee-state" type="button" class="kb-e2ee" data-state="securing" aria-controls="verify-dialog" aria-haspopup="dialog">
          <Icon name="lock" />
          <span id="e2ee-text">{c.e2ee.securing}</span>
        </button>
        <p id="alone" class="kb-alone">{c.alone}</p>
        <figure id="self" class="kb-self kb-tile" data-corner="br" data-camera="on">
          <video id="self-video" autoplay muted playsinline></video>
          <div class="kb-card" aria-hidden="true"><span class="kb-initials"></span></div>
          <figcaption>
            <span class="kb-mute-mark"><Icon name="micOff" /></span>
            <span class="kb-name">{c.you}</span>
            <span id="self-q" class="kb-q" data-q="good" role="img" aria-label={`${c.connection}: ${c.quality.good}`}><Icon name="signal" /></span>
          </figcaption>
        </figure>
        <div id="share-bar" class="kb-bar" role="status" hidden>
          <span>{c.sharing}</span>
          <button id="share-stop" type="button" class="secondary">{c.stopShare}</button>
        </div>
        <div id="call-alert" class="kb-bar kb-call-alert" role="alert" hidden>
          <span id="call-alert-text"></span>
          <button id="video-back" type="button" class="secondary" hidden>{c.videoBack}</button>
          <button id="alert-close" type="button" class="kb-tool" title={c.close}>
            <Icon name="close" />
            <span class="kb-visually-hidden">{c.close}</span>
          </button>
        </div>
        <div id="devices-pop" class="kb-pop" role="group" aria-label={c.devices} hidden></div>
        <div class="kb-toolbar" role="toolbar" aria-label={c.toolbar}>
          {tool("mute", r.mute, "mic", { off: "micOff" })}
          {tool("video-toggle", r.cameraOff, "video", { off: "videoOff" })}
          {tool("share", c.shareScreen, "screen", { hidden: true })}
          {tool("devices", c.devices, "sliders", { opens: "devices-pop" })}
          {tool("chat-open", r.chatTitle, "chat", { badge: "chat-badge", opens: "panel" })}
          {tool("files-open", r.filesTitle, "file", { opens: "panel" })}
          {host ? tool("people-open", c.people, "people", { badge: "people-badge", opens: "panel" }) : null}
          {host && p.notesHref ? (
            // A link, not a panel: the editor (with its autosave) opens in its own tab, so the call's page and media
            // are never reloaded or covered while the specialist writes.
            <a id="notes-open" class="kb-tool" href={p.notesHref} target="_blank" rel="noopener" title={`${t.care.callNotes}. ${t.care.callNotesHint}`}>
              <Icon name="notes" />
              <span class="kb-tool-label">{t.care.callNotes}</span>
            </a>
          ) : null}
          {tool("leave", r.leave, "leave", { cls: "kb-danger" })}
          {host ? tool("end", r.end, "end", { cls: "kb-danger" }) : null}
        </div>
        <aside id="panel" class="kb-panel" aria-labelledby="panel-title" hidden>
          <header>
            <h2 id="panel-title"></h2>
            <button id="panel-close" type="button" class="kb-tool" title={c.close}>
              <Icon name="close" />
              <span class="kb-visually-hidden">{c.close}</span>
            </button>
          </header>
          {host ? (
            <section data-panel="people" aria-labelledby="in-call-title">
              <h3 id="in-call-title">{c.inCall}</h3>
              <ul id="participant-list" class="kb-people"></ul>
            </section>
          ) : null}
          <section data-panel="chat" class="kb-chat">
            <p class="kb-muted kb-record-note">{c.e2ee.recordNote}</p>
            <ol id="chat-log" aria-live="polite"></ol>
            <form id="chat-form" role="group">
              <label for="chat-text" class="kb-visually-hidden">{r.chatLabel}</label>
              <input id="chat-text" name="text" maxlength={2000} autocomplete="off" placeholder={r.chatLabel} />
              <button type="submit">{r.chatSend}</button>
            </form>
          </section>
          <section data-panel="files" class="kb-files">
            <p class="kb-muted kb-record-note">{c.e2ee.recordNote}</p>
            <ul id="file-list" aria-live="polite"></ul>
            <form id="file-form">
              <label for="file-input">{r.fileLabel}</label>
              <input id="file-input" type="file" name="file" accept={p.fileTypes.map((x) => `.${x}`).join(",")} aria-describedby="file-hint" />
              <small id="file-hint">{r.fileHint(p.maxUploadMB, p.fileTypes.join(", "))}</small>
              <p id="file-error" role="alert" class="kb-alert" hidden></p>
              <button type="submit" class="secondary">{r.fileUpload}</button>
            </form>
          </section>
        </aside>
        <dialog id="verify-dialog" aria-labelledby="verify-title">
          <article>
            <header>
              <h2 id="verify-title">{c.e2ee.verifyTitle}</h2>
            </header>
            <div id="e2ee-warning" class="kb-alert" role="alert" hidden></div>
            <p>{c.e2ee.verifyLead}</p>
            <ul id="verify-list" class="kb-verify"></ul>
            <footer>
              <button id="verify-close" type="button" class="secondary">{c.close}</button>
            </footer>
          </article>
        </dialog>
        {host ? (
          <dialog id="end-dialog" aria-labelledby="end-title">
            <article>
              <h2 id="end-title">{c.endTitle}</h2>
              <p>{c.endLead}</p>
              <footer>
                <button id="end-cancel" type="button" class="secondary">{c.cancel}</button>
                <button id="end-confirm" type="button" class="kb-danger">{c.endConfirm}</button>
              </footer>
            </article>
          </dialog>
        ) : null}
      </section>
      <template id="tile-template">
        <figure class="kb-tile" data-camera="off" data-mic="on">
          <video autoplay playsinline></video>
          <div class="kb-card" aria-hidden="true"><span class="kb-initials"></span></div>
          <figcaption>
            <span class="kb-mute-mark"><Icon name="micOff" /></span>
            <span class="kb-name"></span>
            <span class="kb-screen-mark">{c.screen}</span>
            <span class="kb-q" data-q="good" role="img"><Icon name="signal" /></span>
          </figcaption>
        </figure>
      </template>
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
