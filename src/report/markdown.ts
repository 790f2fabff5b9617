/** Strings from the API are data: escape them before they reach Markdown or HTML. */
import { withoutInvisible } from '../common/api-text.js';

const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+!|~<>&"'$-]/g;
/**
 * `$` opens GitHub's math (`$\color{green}{\text{passed}}$` would render as a verdict); a backslash
 * does not reliably stop it outside math, the entity does.
 */
const HTML_ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;', $: '&#36;' };

/** GitHub links `@someone` (and notifies them) and `#123` on its own: a zero-width space after the sign stops it. */
const GITHUB_REFERENCE = /([@#])(?=[\p{L}\p{N}_-])/gu;
const ZERO_WIDTH_SPACE = '\u200b';

/**
 * GitHub turns `scheme://…` and `www.…` into links by itself, escaped or not. Breaking the marker
 * the way security write-ups "defang" addresses, `https[:]//evil.example` and `www[.]evil.example`,
 * leaves the text readable and visibly not a link, and survives copy and paste, where an invisible
 * break would not show and a code span would change how every name looks.
 */
const URL_SCHEME = /:\/\//g;
const WWW = /www\./gi;

/**
 * Text that renders as itself in GitHub Markdown, on one line, in a table cell or a paragraph:
 * no HTML, no links, no emphasis, no mentions, no line breaks, and none of the invisible
 * characters (bidi overrides, zero-width spaces) that can make it read other than it is. Long text
 * is cut to `maxLength` characters.
 */
export function escapeMarkdown(text: string, maxLength = 500): string {
  // eslint-disable-next-line no-control-regex
  const flat = withoutInvisible(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return cutToFit(flat, maxLength, '…')
    .replace(URL_SCHEME, '[:]//')
    .replace(WWW, (www) => `${www.slice(0, 3)}[.]`)
    .replace(GITHUB_REFERENCE, `$1${ZERO_WIDTH_SPACE}`)
    .replace(MARKDOWN_SPECIAL, (char) => HTML_ENTITIES[char] ?? `\\${char}`);
}

/**
 * A Markdown table as lines, followed by a blank line. Cells must already be escaped (see
 * `escapeMarkdown`); a row with fewer cells than the header is padded with empty ones.
 */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const headerLine = `|${header.map((cell) => (cell ? ` ${cell} ` : ' ')).join('|')}|`;
  const rule = `|${header.map(() => '---').join('|')}|`;
  const line = (cells: readonly string[]) => `| ${header.map((_, i) => cells[i] ?? '').join(' | ')} |`;
  return [headerLine, rule, ...rows.map(line), ''];
}

/**
 * `text` when it measures at most `max` by `measure`, else its start and `note`, together at most
 * `max`. The cut never falls inside a surrogate pair (nor, so, inside a UTF-8 sequence).
 */
export function cutToFit(text: string, max: number, note: string, measure: (text: string) => number = (t) => t.length): string {
  if (measure(text) <= max) return text;
  const room = Math.max(0, max - measure(note));
  // The longest prefix that fits: the measure grows with the prefix, so bisect on its length.
  let low = 0;
  let high = Math.min(text.length, room);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (measure(text.slice(0, mid)) <= room) low = mid;
    else high = mid - 1;
  }
  return text.slice(0, wholeCharacters(text, low)) + note;
}

/** `end`, moved back by one when it would split a surrogate pair. */
function wholeCharacters(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  return end > 0 && last >= 0xd800 && last <= 0xdbff ? end - 1 : end;
}
