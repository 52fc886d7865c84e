// The human-readable part of a data export: README.txt and summary.html, in the person's language. What is in the
// archive and how to read it, then how the data is processed and the person's rights (export-processing.ts), in
// plain words; summary.html is static (no script, no outside resource).
import { dateTimeFormat } from "../i18n/format.ts";
import { LOCALES, type Locale } from "../i18n/messages.ts";
import type { ExportProcessing } from "./export-processing.ts";

export interface ExportCounts {
  appointments: number;
  messages: number;
  files: number;
  consents: number;
  intake: number;
  notes: number;
  requests: number;
}

export interface ExportSummary {
  person: { name: string; email: string };
  org: string;
  generatedAt: number;
  timeZone: string;
  counts: ExportCounts;
  processing: ExportProcessing;
}

/** The processing information as titled sections of paragraphs (an activity's facts as "label: value"). */
function processingSections(locale: Locale, p: ExportProcessing): { title: string; lines: string[] }[] {
  const t = LOCALES[locale].dataRights.export;
  return [
    { title: t.controllerTitle, lines: [...p.controller.map(([l, v]) => `${l}: ${v}`), ...(p.contacts.length ? [`${t.contactsLabel}: ${p.contacts.join("; ")}`] : [])] },
    { title: t.processingTitle, lines: p.activities.flatMap((a) => [a.name, ...a.facts.map(([l, v]) => `  ${l}: ${v}`)]) },
    { title: t.recipientsTitle, lines: [p.recipients] },
    { title: t.transfersTitle, lines: [p.transfers] },
    { title: t.sourceTitle, lines: [p.source] },
    { title: t.rightsTitle, lines: p.rights.map((r) => `- ${r}`) },
  ];
}

/** The archive's contents as [file, what it holds] lines, then the notes below them. */
function contents(locale: Locale, s: ExportSummary): { title: string; intro: string; files: [string, string][]; notes: string[] } {
  const t = LOCALES[locale].dataRights.export;
  const when = dateTimeFormat({ locale, hourCycle: null }, s.timeZone).format(s.generatedAt);
  return {
    title: t.summaryTitle(s.org),
    intro: t.summaryIntro(s.person.name, s.person.email, when),
    files: [
      ["summary.html", t.files.summary],
      ["data.json", t.files.data(s.counts)],
      ["appointments.csv", t.files.appointments(s.counts.appointments)],
      ["messages.csv", t.files.messages(s.counts.messages)],
      ["consents.csv", t.files.consents(s.counts.consents)],
      ["files.csv", t.files.fileList(s.counts.files)],
      ["files/", t.files.files(s.counts.files)],
    ],
    notes: [t.notesFinalised, t.csvSafe, t.moreQuestions],
  };
}

export function exportReadme(locale: Locale, s: ExportSummary): string {
  const c = contents(locale, s);
  const width = Math.max(...c.files.map(([f]) => f.length));
  const sections = processingSections(locale, s.processing).flatMap((x) => [x.title, "-".repeat(x.title.length), ...x.lines, ""]);
  return [c.title, "", c.intro, "", ...c.files.map(([f, what]) => `${f.padEnd(width)}  ${what}`), "", ...c.notes, "", ...sections].join("\r\n");
}

export function exportSummaryHtml(locale: Locale, s: ExportSummary): string {
  const c = contents(locale, s);
  const e = escapeHtml;
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>${e(c.title)}</title></head>
<body>
<h1>${e(c.title)}</h1>
<p>${e(c.intro)}</p>
<dl>
${c.files.map(([f, what]) => `<dt><code>${e(f)}</code></dt><dd>${e(what)}</dd>`).join("\n")}
</dl>
${c.notes.map((n) => `<p>${e(n)}</p>`).join("\n")}
${processingHtml(locale, s.processing)}
</body></html>
`;
}

function processingHtml(locale: Locale, p: ExportProcessing): string {
  const t = LOCALES[locale].dataRights.export;
  const e = escapeHtml;
  const facts = (rows: readonly [string, string][]) => `<dl>\n${rows.map(([l, v]) => `<dt>${e(l)}</dt><dd>${e(v)}</dd>`).join("\n")}\n</dl>`;
  const controller: [string, string][] = [...p.controller, ...(p.contacts.length ? [[t.contactsLabel, p.contacts.join("; ")] as [string, string]] : [])];
  return [
    `<h2>${e(t.controllerTitle)}</h2>`,
    facts(controller),
    `<h2>${e(t.processingTitle)}</h2>`,
    ...p.activities.map((a) => `<h3>${e(a.name)}</h3>\n${facts(a.facts)}`),
    `<h2>${e(t.recipientsTitle)}</h2>\n<p>${e(p.recipients)}</p>`,
    `<h2>${e(t.transfersTitle)}</h2>\n<p>${e(p.transfers)}</p>`,
    `<h2>${e(t.sourceTitle)}</h2>\n<p>${e(p.source)}</p>`,
    `<h2>${e(t.rightsTitle)}</h2>\n<ul>\n${p.rights.map((r) => `<li>${e(r)}</li>`).join("\n")}\n</ul>`,
  ].join("\n");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
