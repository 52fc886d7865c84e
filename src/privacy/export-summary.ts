// The human-readable part of a data export: README.txt and summary.html, in the person's language. What is in the
// archive and how to read it, in plain words; summary.html is static (no script, no outside resource).
import { dateTimeFormat } from "../i18n/format.ts";
import { LOCALES, type Locale } from "../i18n/messages.ts";

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
  return [c.title, "", c.intro, "", ...c.files.map(([f, what]) => `${f.padEnd(width)}  ${what}`), "", ...c.notes, ""].join("\r\n");
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
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
