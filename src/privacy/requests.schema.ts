import { z } from "zod";
import { emailSchema } from "../http/form.ts";
import { problem } from "../i18n/messages.ts";
import { LAWS } from "./requests-deadline.ts";
import { REQUEST_KINDS, STAFF_CHANNELS } from "./requests.ts";

const noteSchema = z.string().trim().max(2000, problem("tooLong")).default("");

/** A request a client files from their own account. */
export const clientRequestSchema = z.object({
  kind: z.enum(REQUEST_KINDS, { error: problem("invalid") }),
  note: noteSchema,
});

/** A request staff record after receiving it by mail, letter, phone or in person. */
export const staffRequestSchema = z.object({
  email: emailSchema,
  kind: z.enum(REQUEST_KINDS, { error: problem("invalid") }),
  law: z.enum(LAWS, { error: problem("invalid") }),
  channel: z.enum(STAFF_CHANNELS, { error: problem("invalid") }),
  received: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, problem("invalid")),
  note: noteSchema,
});

export const closeRequestSchema = z.object({
  status: z.enum(["done", "refused"], { error: problem("invalid") }),
  outcome: z.string().trim().max(2000, problem("tooLong")).default(""),
});

export const defaultLawSchema = z.object({ defaultLaw: z.enum(LAWS, { error: problem("invalid") }) });

export const extendRequestSchema = z.object({
  until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, problem("invalid")),
  reason: z.string().trim().min(1, problem("required")).max(2000, problem("tooLong")),
});
