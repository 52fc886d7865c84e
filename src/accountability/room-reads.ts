// The audit entry of a consultation's record (its chat and files) shown after the call, so the who-read report
// (reads.ts) finds it: `room.view`, its target the room, which the report resolves to the room's client through
// their appointments, like `file.download`. The client reading their own consultation is not a read of someone
// else's data and is not recorded (as `appointment.view` leaves out the appointment's own client).
import { recordAudit } from "../audit/audit.ts";
import { appointmentOfRoom } from "../booking/appointments.ts";
import type { Queryable } from "../db/client.ts";
import type { Vault } from "../vault/vault.ts";

export const ROOM_READ = "room.view";

/** Records that `readerId` was shown the chat and files of this room. */
export function auditRoomRecordRead(deps: { db: Queryable; vault: Vault }, roomId: string, readerId: string, now: number): void {
  if (appointmentOfRoom(deps.db, roomId)?.clientId === readerId) return;
  deps.db.transaction((tx) => recordAudit(tx, deps.vault, { actor: readerId, action: ROOM_READ, target: roomId, at: now }), { behavior: "immediate" });
}
