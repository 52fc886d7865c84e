// What an export must tell the person besides their data (GDPR art. 15(1)(a)–(h), 152-FZ art. 14 part 7): the
// purposes and legal bases, the categories, who receives it, how long it is kept, their rights and how to use them,
// and where the data came from. Taken from the record of processing activities (src/accountability), with the
// organisation's retention periods (src/retention), so the export says what the organisation's own record says.
import { processingDocument } from "../accountability/processing-document.ts";
import type { Queryable } from "../db/client.ts";
import { LOCALES, type Locale } from "../i18n/messages.ts";
import { getRetentionPolicy } from "../retention/policy.ts";
import type { Vault } from "../vault/vault.ts";

export interface ExportProcessing {
  controller: [label: string, value: string][];
  contacts: string[];
  /** Each activity with its purpose, legal basis, categories and time limits (labels in the reader's language). */
  activities: { name: string; facts: [label: string, value: string][] }[];
  recipients: string;
  transfers: string;
  rights: readonly string[];
  source: string;
}

export function exportProcessing(deps: { db: Queryable; vault: Vault }, locale: Locale): ExportProcessing {
  const t = LOCALES[locale];
  const doc = processingDocument(deps, t, getRetentionPolicy(deps.db));
  const p = t.accountability.processing;
  // The database tables an activity uses are for the organisation's record, not for the person.
  const hidden = new Set([p.tablesLabel]);
  return {
    controller: doc.controller,
    contacts: doc.contacts,
    activities: doc.activities.map((a) => ({ name: a.name, facts: a.facts.filter(([label]) => !hidden.has(label)) })),
    recipients: doc.recipients,
    transfers: doc.transfers,
    rights: t.dataRights.export.rights,
    source: t.dataRights.export.source,
  };
}
