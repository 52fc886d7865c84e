// Input of the rooms pages.
import { z } from "zod";
import { ROOM_LABEL_MAX } from "./rooms.ts";

/** "Open a room": an optional label, one line, trimmed; empty means none. */
export const openRoomSchema = z.object({
  label: z
    .string()
    .optional()
    .transform((v) => (v ?? "").replace(/\s+/g, " ").trim())
    .pipe(z.string().max(ROOM_LABEL_MAX, "too-long")),
});
