// The small markdown subset session notes are written in, rendered to HTML by us.
//
// Protects: every page that shows a note. A note is text typed by staff about a client and could hold anything,
// including markup pasted from elsewhere; it is never inserted as HTML. Invariant: the output's only tags are the
// ones made here (h2, h3, p, ul, ol, li, br), without attributes; every character of the note goes through escapeHTML.
// Supported: "# " and "## " headings, "- " / "* " bullet lists, "1. " numbered lists, paragraphs split by an empty
// line (a single line break inside a paragraph stays one). Anything else is shown as the text it is.

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHTML(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

type Block = { kind: "h1" | "h2"; text: string } | { kind: "ul" | "ol"; items: string[] } | { kind: "p"; lines: string[] };

function parseBlocks(source: string): Block[] {
  const blocks: Block[] = [];
  const last = (): Block | undefined => blocks[blocks.length - 1];
  let open = false; // whether the next text line continues the last paragraph or list
  for (const raw of source.replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trimEnd();
    let m: RegExpMatchArray | null;
    if (line.trim() === "") {
      open = false;
    } else if ((m = line.match(/^##\s+(.*)$/))) {
      blocks.push({ kind: "h2", text: m[1]! });
      open = false;
    } else if ((m = line.match(/^#\s+(.*)$/))) {
      blocks.push({ kind: "h1", text: m[1]! });
      open = false;
    } else if ((m = line.match(/^\s*[-*]\s+(.*)$/)) || (m = line.match(/^\s*\d{1,3}[.)]\s+(.*)$/))) {
      const kind = /^\s*[-*]/.test(line) ? "ul" : "ol";
      const prev = last();
      if (open && prev?.kind === kind) prev.items.push(m[1]!);
      else blocks.push({ kind, items: [m[1]!] });
      open = true;
    } else {
      const prev = last();
      if (open && prev?.kind === "p") prev.lines.push(line.trim());
      else blocks.push({ kind: "p", lines: [line.trim()] });
      open = true;
    }
  }
  return blocks;
}

/** The note as HTML of our own tags only; headings start at h2 because the page owns the h1. */
export function renderNoteMarkdown(source: string): string {
  return parseBlocks(source)
    .map((b) => {
      switch (b.kind) {
        case "h1":
          return `<h2>${escapeHTML(b.text)}</h2>`;
        case "h2":
          return `<h3>${escapeHTML(b.text)}</h3>`;
        case "ul":
        case "ol":
          return `<${b.kind}>${b.items.map((i) => `<li>${escapeHTML(i)}</li>`).join("")}</${b.kind}>`;
        case "p":
          return `<p>${b.lines.map(escapeHTML).join("<br>")}</p>`;
      }
    })
    .join("\n");
}
