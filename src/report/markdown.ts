/** Strings from the API are data: escape them before they reach Markdown or HTML. */

const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+!|~<>&"'-]/g;
const HTML_ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' };

/**
 * Text that renders as itself in GitHub Markdown, on one line, in a table cell or a paragraph:
 * no HTML, no links, no emphasis, no line breaks. Long text is cut to `maxLength` characters.
 */
export function escapeMarkdown(text: string, maxLength = 500): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  const cut = flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
  return cut.replace(MARKDOWN_SPECIAL, (char) => HTML_ENTITIES[char] ?? `\\${char}`);
}
