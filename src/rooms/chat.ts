// Chat in a consultation room. Messages are personal data: sealed at rest under the room's subject (the client of an
// appointment's room, so erasing the client shreds it; the organisation for an ad-hoc room), bound to the message's
// row, and readable only by the room's owner and the people it admitted.
import type { Clock } from "../clock.ts";
import type { Queryable } from "../db/client.ts";
import { getPerson } from "../people/people.ts";
import type { Vault } from "../vault/vault.ts";
import * as store from "./rooms.store.ts";

export const MAX_CHAT_LENGTH = 2000;

export interface ChatMessage {
  id: number;
  authorId: string;
  author: string;
  text: string;
  at: number;
}

export function postChatMessage(deps: { db: Queryable; vault: Vault; clock: Clock }, roomId: string, authorId: string, text: string): ChatMessage {
  const at = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      // The row id is part of the sealed value's context, so insert first, then seal and store the body.
      const id = store.insertMessageRow(tx, roomId, authorId, at);
      store.setMessageBody(tx, id, deps.vault.sealField(store.roomSubject(tx, roomId), "room_messages", "body", String(id), text));
      return { id, authorId, author: getPerson({ db: tx, vault: deps.vault }, authorId)?.name ?? "", text, at };
    },
    { behavior: "immediate" },
  );
}

export function listChatMessages(deps: { db: Queryable; vault: Vault }, roomId: string): ChatMessage[] {
  const subject = store.roomSubject(deps.db, roomId);
  if (deps.vault.isShredded(subject)) return []; // the room's client is erased: none of it can be read
  const rows = store.listMessageRows(deps.db, roomId);
  const names = new Map<string, string>();
  return rows.map((r) => {
    if (!names.has(r.authorId)) names.set(r.authorId, getPerson(deps, r.authorId)?.name ?? "");
    return { id: r.id, authorId: r.authorId, author: names.get(r.authorId)!, text: deps.vault.openField(subject, "room_messages", "body", String(r.id), r.body), at: r.at };
  });
}
