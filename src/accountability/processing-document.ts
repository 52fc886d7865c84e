// The record of processing activities as a document: what the page and the Markdown download both show, put
// together once from the map (processing.ts), the organisation's settings and the catalogue's words.
import type { Queryable } from "../db/client.ts";
import type { Messages } from "../i18n/messages.ts";
import { listPeople } from "../people/people.ts";
import { getSettings } from "../settings/settings.ts";
import type { Vault } from "../vault/vault.ts";
import { processingRecord, type RetentionPolicyView, type RetentionType, tablesWithoutPersonalData } from "./processing.ts";

export interface ProcessingSection {
  name: string;
  facts: [label: string, value: string][];
}

export interface ProcessingDocument {
  title: string;
  lead: string;
  controller: [label: string, value: string][];
  contacts: string[];
  activities: ProcessingSection[];
  recipients: string;
  transfers: string;
  security: readonly string[];
  withoutPersonalData: [table: string, why: string][];
}

/**
 * The record in the reader's words; the administrators (a DPO works as one) are the controller's contacts. With the
 * organisation's retention policy (src/retention) the time limits are its periods; without, "as set by the organisation".
 */
export function processingDocument(deps: { db: Queryable; vault: Vault }, t: Messages, policy?: RetentionPolicyView): ProcessingDocument {
  const p = t.accountability.processing;
  const settings = getSettings(deps.db);
  const admins = listPeople(deps).filter((x) => x.role === "admin" && !x.erased);
  return {
    title: p.title,
    lead: p.lead,
    controller: [
      [p.orgName, settings?.name ?? ""],
      [p.orgAddress, settings?.address || p.noAddress],
    ],
    contacts: admins.map((a) => `${a.name} <${a.email}>`),
    activities: processingRecord().map((a) => {
      const words = p.activities[a.activity];
      return {
        name: words.name,
        facts: [
          [p.purpose, words.purpose],
          [p.legalBasis, words.basis],
          [p.subjectsLabel, a.subjects.map((s) => p.subjects[s]).join("; ")],
          [p.categoriesLabel, a.categories.map((c) => p.categories[c]).join("; ")],
          [p.retentionLabel, retentionText(t, a.retention, policy)],
          [p.tablesLabel, a.tables.join(", ")],
        ],
      };
    }),
    recipients: p.recipients,
    transfers: p.transfers,
    security: p.security,
    withoutPersonalData: tablesWithoutPersonalData().map(([table, why]) => [table, p.why[why]]),
  };
}

function retentionText(t: Messages, types: readonly RetentionType[], policy: RetentionPolicyView | undefined): string {
  const r = t.accountability.processing.retention;
  const parts = types.map((type) => {
    if (type === "none") return r.none;
    const period = policy?.[type];
    const limit = type === "audit" && policy ? r.auditKept : period ? r.period(period.deleteAfterDays, period.keepAtLeastDays) : r.asSet;
    // How the days are counted differs per kind (from a room's end, a note's last edit…): said where a period runs.
    const counted = period && type !== "audit" && period.deleteAfterDays !== null ? ` (${t.retention.measured[type]})` : "";
    return `${r.types[type]}: ${limit}${counted}.`;
  });
  // Shredding reaches what is sealed under a client's key; the audit log and the consent ledger name ids only.
  const shredded = types.some((type) => type !== "none" && type !== "audit" && type !== "sessions");
  return [...parts, ...(shredded ? [r.erasure] : [])].join(" ");
}

/** Markdown-escapes text typed by people (the organisation's name, an admin's name) so it stays text. */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, " ");
}

export function processingMarkdown(doc: ProcessingDocument, t: Messages, generated: string): string {
  const p = t.accountability.processing;
  const lines = [`# ${md(doc.title)}`, "", md(doc.lead), "", md(p.generated(generated)), "", `## ${md(p.controller)}`, ""];
  for (const [label, value] of doc.controller) lines.push(`- **${md(label)}:** ${md(value)}`);
  lines.push(`- **${md(p.contacts)}:** ${doc.contacts.map(md).join("; ")}`, "");
  for (const a of doc.activities) {
    lines.push(`## ${md(p.activity)}: ${md(a.name)}`, "");
    for (const [label, value] of a.facts) lines.push(`- **${md(label)}:** ${md(value)}`);
    lines.push(`- **${md(p.recipientsLabel)}:** ${md(doc.recipients)}`, `- **${md(p.transfersLabel)}:** ${md(doc.transfers)}`, "");
  }
  lines.push(`## ${md(p.securityLabel)}`, "", ...doc.security.map((s) => `- ${md(s)}`), "", `## ${md(p.noPersonalData)}`, "");
  for (const [table, why] of doc.withoutPersonalData) lines.push(`- \`${table}\`: ${md(why)}`);
  return `${lines.join("\n")}\n`;
}
