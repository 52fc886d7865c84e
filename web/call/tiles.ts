// The stage: one tile per other participant (their video, or a card with their name and initials when there is no
// picture), laid out as a grid that fits the screen; the self-view floats in a corner the person can drag it to.
import type { CallParticipant } from "../../src/rooms/signaling.ts"; // types only
import { gridFor } from "./grid.ts";
import type { Quality } from "./quality.ts";

export interface Tile {
  el: HTMLElement;
  video: HTMLVideoElement;
  stream: MediaStream;
  person: CallParticipant;
}

export interface TileLabels {
  screen: string;
  connection: string;
  quality: Record<Quality, string>;
  camera: Record<CallParticipant["camera"], string>;
  mic: Record<CallParticipant["mic"], string>;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter((w) => /\p{L}/u.test(w[0] ?? ""));
  return ((parts[0]?.[0] ?? "") + (parts.length > 1 ? (parts.at(-1)?.[0] ?? "") : "")).toUpperCase() || "?";
}

export class Stage {
  readonly tiles = new Map<string, Tile>();

  constructor(
    private readonly remote: HTMLElement,
    private readonly template: HTMLTemplateElement,
    private readonly self: HTMLElement,
    private readonly L: TileLabels,
  ) {
    new ResizeObserver(() => this.layout()).observe(remote);
  }

  /** The tile of this person, made on first sight. */
  tile(person: CallParticipant): Tile {
    let t = this.tiles.get(person.personId);
    if (!t) {
      const el = (this.template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
      const video = el.querySelector("video")!;
      // srcObject is set when the first track arrives: a video element showing an empty stream holds back the page's
      // load event for good in Chromium.
      const stream = new MediaStream();
      t = { el, video, stream, person };
      this.tiles.set(person.personId, t);
      this.remote.append(el);
    }
    this.describe(t, person);
    return t;
  }

  /** Brings the tiles in line with who is in the call (everyone but me). */
  update(people: readonly CallParticipant[], me: string): void {
    const present = new Set(people.map((p) => p.personId));
    for (const [id, t] of this.tiles) {
      if (!present.has(id)) {
        t.el.remove();
        this.tiles.delete(id);
      }
    }
    for (const p of people) if (p.personId !== me) this.tile(p);
    this.layout();
  }

  private describe(t: Tile, p: CallParticipant): void {
    t.person = p;
    const { el } = t;
    el.dataset.personId = p.personId;
    el.dataset.camera = p.camera;
    el.dataset.mic = p.mic;
    el.dataset.screen = String(p.screen);
    el.querySelector(".kb-name")!.textContent = p.name;
    el.querySelector(".kb-initials")!.textContent = initials(p.name);
    // Why there is no picture or sound, when the reason is not their own choice.
    const notes = [p.camera, p.mic].map((s, i) => (s === "on" || s === "off" ? "" : (i === 0 ? this.L.camera : this.L.mic)[s])).filter(Boolean);
    let note = el.querySelector<HTMLElement>(".kb-card-note");
    if (!note) {
      note = document.createElement("small");
      note.className = "kb-card-note";
      el.querySelector(".kb-card")!.append(note);
    }
    note.textContent = notes.join(", ");
    el.setAttribute("aria-label", [p.name, p.screen ? this.L.screen : "", p.mic === "on" ? "" : this.L.mic[p.mic], ...notes].filter(Boolean).join(", "));
  }

  quality(personId: string, q: Quality): void {
    const mark = this.tiles.get(personId)?.el.querySelector<HTMLElement>(".kb-q");
    if (mark) markQuality(mark, q, this.L);
  }

  speaking(personId: string | null): void {
    for (const [id, t] of this.tiles) t.el.classList.toggle("kb-speaking", id === personId);
  }

  /**
   * Columns and rows for the tiles. Two people: the other fills the stage and the self-view floats in a corner. Three
   * or more: everyone, self included, in an even grid. Someone sharing their screen takes the stage; the others line
   * up below it.
   */
  layout(): void {
    const tiles = [...this.tiles.values()];
    const screen = tiles.find((t) => t.person.screen);
    this.remote.dataset.count = String(tiles.length);
    this.remote.toggleAttribute("data-screen", Boolean(screen));
    for (const t of tiles) t.el.classList.toggle("kb-main", t === screen);
    const selfInGrid = tiles.length >= 2 && !screen;
    if (selfInGrid !== (this.self.parentElement === this.remote)) {
      if (selfInGrid) this.remote.append(this.self);
      else this.remote.after(this.self);
      // A video taken out of the page pauses; it is muted, so it may play again at once.
      void this.self.querySelector("video")?.play().catch(() => {});
    }
    const n = screen ? 1 : tiles.length + (selfInGrid ? 1 : 0);
    const { cols, rows } = gridFor(Math.max(1, n), this.remote.clientWidth || innerWidth, this.remote.clientHeight || innerHeight);
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    this.remote.style.setProperty("--cols", String(cols));
    this.remote.style.setProperty("--rows", String(rows));
  }
}

export function markQuality(mark: HTMLElement, q: Quality, L: Pick<TileLabels, "connection" | "quality">): void {
  mark.dataset.q = q;
  mark.setAttribute("aria-label", `${L.connection}: ${L.quality[q]}`);
  mark.title = mark.getAttribute("aria-label")!;
}

/** Lets the person drag their self-view to any corner; it snaps to the nearest one. */
export function draggableToCorners(el: HTMLElement): void {
  let start: { x: number; y: number } | null = null;
  el.addEventListener("pointerdown", (e) => {
    if (el.parentElement?.classList.contains("kb-stage")) return; // in the grid, it has its own place
    start = { x: e.clientX, y: e.clientY };
    el.setPointerCapture(e.pointerId);
  });
  el.addEventListener("pointermove", (e) => {
    if (start) el.style.translate = `${e.clientX - start.x}px ${e.clientY - start.y}px`;
  });
  const drop = (e: PointerEvent): void => {
    if (!start) return;
    start = null;
    const box = el.getBoundingClientRect();
    const cx = box.left + box.width / 2;
    const cy = box.top + box.height / 2;
    el.dataset.corner = `${cy < innerHeight / 2 ? "t" : "b"}${cx < innerWidth / 2 ? "l" : "r"}`;
    el.style.translate = "";
    el.releasePointerCapture(e.pointerId);
  };
  el.addEventListener("pointerup", drop);
  el.addEventListener("pointercancel", drop);
}

/**
 * Tells, now and on every real change, how wide a received video is shown in device pixels (0 when hidden): the
 * server sends the simulcast layer of about that size, so a small tile does not cost a large picture's bandwidth.
 */
export function watchShownWidth(video: HTMLVideoElement, report: (width: number) => void): () => void {
  let last = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const observer = new ResizeObserver(([entry]) => {
    // The server takes at most 16384 and the signalling socket a few messages a second: widths settle for 300 ms first
    // (dragging a window's edge resizes every tile many times a second).
    const width = Math.min(16_384, Math.round((entry?.contentRect.width ?? 0) * devicePixelRatio));
    clearTimeout(timer);
    timer = setTimeout(() => {
      // Small changes (a scrollbar, a panel opening) are not worth a message.
      if (last < 0 || (width === 0) !== (last === 0) || Math.abs(width - last) > last * 0.15) {
        last = width;
        report(width);
      }
    }, last < 0 ? 0 : 300);
  });
  observer.observe(video);
  return () => {
    clearTimeout(timer);
    observer.disconnect();
  };
}
