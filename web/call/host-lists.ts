// The host's two lists: who waits (let in, decline, a short notice to that person) and who is in the call (what
// they are missing and why, mute, remove). Every action is checked again by the server; these only ask.
import type { CallParticipant, DeviceState } from "../../src/rooms/signaling.ts"; // types only
import { button } from "./dom.ts";

export interface WaitingPerson {
  personId: string;
  name: string;
}

export interface ListLabels {
  nobodyWaiting: string;
  admit: string;
  decline: string;
  noticePlaceholder: string;
  noticeLabel: string;
  noticeSend: string;
  muteThem: string;
  removeThem: string;
  camera: Record<DeviceState, string>;
  mic: Record<DeviceState, string>;
}

export function waitingItems(list: readonly WaitingPerson[], L: ListLabels, send: (m: object) => void): HTMLElement[] {
  if (list.length === 0) {
    const li = document.createElement("li");
    li.textContent = L.nobodyWaiting;
    return [li];
  }
  return list.map((person) => {
    const li = document.createElement("li");
    li.className = "kb-waiting";
    const name = document.createElement("strong");
    name.textContent = person.name;
    const actions = document.createElement("div");
    actions.className = "kb-actions";
    actions.append(
      button(L.admit, () => send({ type: "admit", personId: person.personId })),
      button(L.decline, () => send({ type: "decline", personId: person.personId }), "secondary"),
    );
    // A short message to this person only ("Running 5 minutes late").
    const form = document.createElement("form");
    form.className = "kb-notice-form";
    form.setAttribute("role", "group");
    const input = document.createElement("input");
    input.name = "notice";
    input.maxLength = 300;
    input.placeholder = L.noticePlaceholder;
    input.setAttribute("aria-label", `${L.noticeLabel}: ${person.name}`);
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.className = "secondary";
    submit.textContent = L.noticeSend;
    form.append(input, submit);
    form.onsubmit = (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      send({ type: "notice", personId: person.personId, text });
      input.value = "";
    };
    li.append(name, actions, form);
    return li;
  });
}

/** Who is in the call (but me), what is missing and why, with mute and remove. */
export function participantItems(people: readonly CallParticipant[], me: string, L: ListLabels, send: (m: object) => void): HTMLElement[] {
  return people
    .filter((p) => p.personId !== me)
    .map((p) => {
      const li = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = p.name;
      const notes = document.createElement("span");
      notes.className = "kb-muted";
      notes.textContent = ` ${[p.camera === "on" ? "" : L.camera[p.camera], p.mic === "on" ? "" : L.mic[p.mic]].filter(Boolean).join(", ")}`;
      const actions = document.createElement("div");
      actions.className = "kb-actions";
      const mute = button(L.muteThem, () => send({ type: "mute", personId: p.personId }), "secondary");
      mute.disabled = p.mic !== "on";
      actions.append(mute, button(L.removeThem, () => send({ type: "remove", personId: p.personId }), "secondary kb-danger"));
      li.append(name, notes, actions);
      return li;
    });
}
