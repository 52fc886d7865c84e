import { describe, expect, test } from "bun:test";
import { renderNoteMarkdown } from "./note-markdown.ts";

describe("renderNoteMarkdown", () => {
  test("headings, lists and paragraphs become our own tags", () => {
    const html = renderNoteMarkdown("# Session 3\n\nMood better.\nSleeps well.\n\n## Plan\n- walk daily\n- diary\n\n1. first\n2. second");
    expect(html).toBe(
      "<h2>Session 3</h2>\n<p>Mood better.<br>Sleeps well.</p>\n<h3>Plan</h3>\n<ul><li>walk daily</li><li>diary</li></ul>\n<ol><li>first</li><li>second</li></ol>",
    );
  });

  test("markup in a note is shown as text: scripts, tags with attributes, entities, quotes", () => {
    const html = renderNoteMarkdown(`<script>alert(1)</script>\n# <img src=x onerror="alert(2)">\n- <a href='javascript:alert(3)'>x</a>\n&amp;`);
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<a ");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;img src=x onerror=&quot;alert(2)&quot;&gt;");
    expect(html).toContain("&lt;a href=&#39;javascript:alert(3)&#39;&gt;");
    expect(html).toContain("&amp;amp;");
    // Only tags made by the renderer, never with attributes.
    for (const tag of html.match(/<[^>]*>/g) ?? []) expect(tag).toMatch(/^<\/?(h2|h3|p|ul|ol|li|br)>$/);
  });

  test("an empty line ends a list; a line without a marker after a list starts a paragraph", () => {
    expect(renderNoteMarkdown("- a\n\n- b\ntext")).toBe("<ul><li>a</li></ul>\n<ul><li>b</li></ul>\n<p>text</p>");
    expect(renderNoteMarkdown("")).toBe("");
  });
});
