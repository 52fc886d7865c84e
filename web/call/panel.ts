// The side panel (a bottom sheet on a phone): chat, files and, for the host, the people. Chat that arrives while the
// chat is not open counts on the chat button's badge.
import { type HourCycle, timeFormat } from "../../src/i18n/format.ts"; // pure Intl code, the same clock as the pages
import type { Locale } from "../../src/i18n/messages.ts"; // types only
import { $ } from "./dom.ts";

type PanelName = "chat" | "files" | "people";

export interface ChatMessage {
  id: number;
  author: string;
  text: string;
  at: number;
  mine: boolean;
}

export class Panel {
  private showing: PanelName | null = null;
  private unread = 0;
  private readonly seen = new Set<number>();

  constructor(private readonly titles: Record<PanelName, string>) {
    $("panel-close").addEventListener("click", () => this.close());
    $("chat-open").addEventListener("click", () => this.toggle("chat"));
    $("files-open").addEventListener("click", () => this.toggle("files"));
    document.getElementById("people-open")?.addEventListener("click", () => this.toggle("people"));
  }

  toggle(name: PanelName): void {
    if (this.showing === name) return this.close();
    this.showing = name;
    const panel = $("panel");
    panel.hidden = false;
    panel.dataset.show = name;
    $("panel-title").textContent = this.titles[name];
    for (const s of panel.querySelectorAll<HTMLElement>("[data-panel]")) s.hidden = s.dataset.panel !== name;
    for (const id of ["chat-open", "files-open", "people-open"]) document.getElementById(id)?.setAttribute("aria-expanded", String(id === `${name}-open`));
    if (name === "chat") {
      this.unread = 0;
      badge("chat-badge", 0);
      const log = $("chat-log");
      log.scrollTop = log.scrollHeight;
      ($("chat-text") as HTMLInputElement).focus();
    }
  }

  close(): void {
    this.showing = null;
    $("panel").hidden = true;
    for (const id of ["chat-open", "files-open", "people-open"]) document.getElementById(id)?.setAttribute("aria-expanded", "false");
  }

  chat(messages: readonly ChatMessage[]): void {
    const log = $("chat-log");
    for (const m of messages) {
      if (this.seen.has(m.id)) continue;
      this.seen.add(m.id);
      const li = document.createElement("li");
      li.className = m.mine ? "kb-mine" : "";
      const who = document.createElement("strong");
      who.textContent = m.author;
      const when = document.createElement("time");
      when.dateTime = new Date(m.at).toISOString();
      when.textContent = readersClock().format(m.at);
      const text = document.createElement("p");
      text.textContent = m.text;
      li.append(who, " ", when, text);
      log.append(li);
      if (!m.mine && this.showing !== "chat") this.unread++;
    }
    badge("chat-badge", this.unread);
    log.scrollTop = log.scrollHeight;
  }
}

/** Times as the pages write them for this reader: their language and chosen 12/24-hour clock (set on the page by
 * the server), in this device's zone. */
function readersClock(): Intl.DateTimeFormat {
  const hourCycle = document.body.dataset.hourCycle;
  const reader = { locale: document.documentElement.lang as Locale, hourCycle: hourCycle === "h12" || hourCycle === "h23" ? (hourCycle as HourCycle) : null };
  return timeFormat(reader, Intl.DateTimeFormat().resolvedOptions().timeZone);
}

/** A count on a toolbar button, hidden at zero; the button's name says it too. */
export function badge(id: string, n: number): void {
  const el = document.getElementById(id);
  if (!el) return;
  el.hidden = n === 0;
  el.textContent = n > 9 ? "9+" : String(n);
}

export function renderFiles(roomId: string, files: readonly { id: string; name: string; size: number; uploader: string }[]): void {
  $("file-list").replaceChildren(
    ...files.map((f) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `/rooms/${roomId}/files/${f.id}`;
      a.download = f.name;
      a.textContent = f.name;
      const meta = document.createElement("span");
      meta.className = "kb-muted";
      meta.textContent = ` ${f.size < 1024 * 1024 ? `${Math.ceil(f.size / 1024)} KB` : `${(f.size / 1048576).toFixed(1)} MB`} · ${f.uploader}`;
      li.append(a, meta);
      return li;
    }),
  );
}

export async function uploadFile(roomId: string, emptyMessage: string): Promise<void> {
  const input = $("file-input") as HTMLInputElement;
  const error = $("file-error");
  error.hidden = true;
  const file = input.files?.[0];
  if (!file) {
    error.textContent = emptyMessage;
    error.hidden = false;
    return;
  }
  const form = new FormData();
  form.append("file", file);
  const r = await fetch(`/rooms/${roomId}/files`, { method: "POST", body: form, credentials: "same-origin" });
  if (!r.ok) {
    error.textContent = ((await r.json().catch(() => ({}))) as { error?: string }).error ?? String(r.status);
    error.hidden = false;
    return;
  }
  input.value = "";
}
