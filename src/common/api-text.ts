/**
 * Text the action did not write (Retab's answers, and whatever is built from them) is data. Before
 * it reaches the log, an output, the summary, the comment or the report, the secrets are taken
 * out of it, it is cut to a bound, and in the log it cannot become a workflow command.
 */

/** The longest string kept from an answer, in UTF-16 units: a long error message, not a novel. */
export const MAX_API_TEXT = 2_000;
/** The longest message written to the log in one go. */
export const MAX_LOG_TEXT = 16_000;

const REDACTED = '***';
/** A run of this many characters of a secret's random part is redacted too: an echo cut short or split across fields. */
const FRAGMENT = 8;
/** One character in one of the forms `encodedForms` matches: `%HH`, `&#DDD;`, `&#xHH;`, `\xHH`, `\u00HH`. */
const ENCODED_CHARACTER = /%([0-9a-f]{2})|&#0{0,3}(\d{1,3});|&#x0{0,3}([0-9a-f]{2});|\\(?:x|u00)([0-9a-f]{2})/gi;
/** The longest form one character of a secret can take below (`&#x000HH;`). */
const LONGEST_ENCODED_CHAR = 9;

/**
 * Removes the secrets (the API key, the GitHub token) from text: written plainly, percent-encoded
 * (`%72t_test_…`), as HTML character references (`&#114;`), as escapes left in the text
 * (`\x72`, `\u0072`), any mix of these, base64-encoded (standard or URL-safe, as in a `Basic`
 * authorization header sent back), and any run of at least `FRAGMENT` characters of a secret's
 * random part (a secret cut short, or split across two fields). Decoded JSON escapes are caught
 * because the client redacts after decoding.
 */
export class Redactor {
  private readonly secrets: Array<{ plain: string; anyForm: RegExp }>;
  /** The parts of the secrets' base64 encodings that do not depend on what surrounds them (see `base64Cores`). */
  private readonly base64: string[];
  /** Every character of every secret, as code points. */
  private readonly secretCharacters: Set<number>;
  private readonly fragments = new Set<string>();
  /** Marks the characters that start, and those that end, a fragment: most places in a text are passed over on these alone. */
  private readonly fragmentStarts = new Uint8Array(0x10000);
  private readonly fragmentEnds = new Uint8Array(0x10000);
  /** How far past a cut a secret that starts before it can reach, in its longest form. */
  readonly reach: number;

  constructor(secrets: readonly string[]) {
    const kept = [...new Set(secrets.filter((secret) => secret.length > 0))];
    this.secrets = kept.map((secret) => ({ plain: secret, anyForm: new RegExp([...secret].map(encodedForms).join(''), 'g') }));
    this.secretCharacters = new Set(kept.flatMap((secret) => [...secret].map((char) => char.codePointAt(0) ?? 0)));
    this.base64 = [...new Set(kept.flatMap(base64Cores))];
    this.reach = Math.max(0, ...kept.map((secret) => secret.length * LONGEST_ENCODED_CHAR));
    for (const secret of kept) {
      const random = secret.slice(publicPrefix(secret).length);
      if (random.length < FRAGMENT + 4) continue;
      for (let i = 0; i + FRAGMENT <= random.length; i++) {
        const fragment = random.slice(i, i + FRAGMENT);
        this.fragments.add(fragment);
        this.fragmentStarts[fragment.charCodeAt(0)] = 1;
        this.fragmentEnds[fragment.charCodeAt(FRAGMENT - 1)] = 1;
      }
    }
  }

  redact(text: string): string {
    const encoded = this.holdsEncodedSecretCharacter(text);
    let out = text;
    for (const { plain, anyForm } of this.secrets) out = encoded ? out.replace(anyForm, REDACTED) : out.replaceAll(plain, REDACTED);
    for (const core of this.base64) out = out.replaceAll(core, REDACTED);
    return this.fragments.size > 0 && out.length >= FRAGMENT ? this.withoutFragments(out) : out;
  }

  /**
   * Whether some character of a secret is written encoded in `text` (`%72`, `&#114;`, `\x72`…):
   * a secret not written plainly holds one. Markdown's `\_` and `&#39;` are not one, so a summary
   * is searched for the plain secrets alone, without the patterns for every form (slow to build).
   */
  private holdsEncodedSecretCharacter(text: string): boolean {
    if (!/[%&\\]/.test(text)) return false;
    for (const [, percent, decimal, hexReference, escaped] of text.matchAll(ENCODED_CHARACTER)) {
      const hex = percent ?? hexReference ?? escaped;
      if (this.secretCharacters.has(hex === undefined ? Number(decimal) : parseInt(hex, 16))) return true;
    }
    return false;
  }

  /** Every run of text covered by fragments of a secret becomes one `***`. */
  private withoutFragments(text: string): string {
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i + FRAGMENT <= text.length; i++) {
      if (this.fragmentStarts[text.charCodeAt(i)] === 0 || this.fragmentEnds[text.charCodeAt(i + FRAGMENT - 1)] === 0) continue;
      if (!this.fragments.has(text.slice(i, i + FRAGMENT))) continue;
      const last = ranges.at(-1);
      if (last && i <= last[1]) last[1] = i + FRAGMENT;
      else ranges.push([i, i + FRAGMENT]);
    }
    if (ranges.length === 0) return text;
    let out = '';
    let from = 0;
    for (const [start, end] of ranges) {
      out += text.slice(from, start) + REDACTED;
      from = end;
    }
    return out + text.slice(from);
  }
}

/** A base64 core shorter than this (9 bytes of a secret) is too short to be told from chance. */
const MIN_BASE64_CORE = 12;

/**
 * What a secret looks like inside any base64 text that encodes it: its encoding at each of the
 * three byte alignments, without the first and last groups of four characters wherever they also
 * encode the bytes around it; standard and URL-safe. At most two bytes at each end stay visible.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [0, 1, 2].flatMap((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const core = encoded.slice(offset === 0 ? 0 : 4, Math.floor((offset + bytes.length) / 3) * 4);
    return core.length < MIN_BASE64_CORE ? [] : [core, core.replaceAll('+', '-').replaceAll('/', '_')];
  });
}

/** `rt_test_`, `rt_live_`, `sk_retab_`, `ghp_`, `github_pat_`: the part of a secret everybody knows. */
function publicPrefix(secret: string): string {
  return /^[a-z]+(?:_[a-z]+)*_/.exec(secret)?.[0] ?? '';
}

/** A regex matching one character of a secret as itself or in any of the encodings above. */
function encodedForms(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const literal = char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  if (code > 0xff) return literal;
  const hex = [...code.toString(16).padStart(2, '0')].map((digit) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit)).join('');
  return `(?:${literal}|%${hex}|&#0{0,3}${code};|&#[xX]0{0,3}${hex};|\\\\x${hex}|\\\\u00${hex})`;
}

/**
 * `text` cut to at most `max` UTF-16 units, the cut marked with `note` and never splitting a
 * surrogate pair.
 */
export function cutText(text: string, max: number, note = '…'): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - note.length);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + note;
}

/**
 * One string from an answer: secrets out, then cut to `max`. Only a prefix long enough to hold
 * any secret that starts before the cut is searched, so a 20 MB string costs no more than a short
 * one, and a secret straddling the cut is still removed whole.
 */
export function cleanText(text: string, redactor: Redactor, max = MAX_API_TEXT): string {
  const window = max + redactor.reach;
  return cutText(redactor.redact(text.length > window ? text.slice(0, window) : text), max);
}

/**
 * Applies `clean` to every string of a decoded JSON value (object keys included), in place, and
 * returns the value (a string is returned cleaned). Also used on the gate's own result, in place. Walked with a stack of its own, not by
 * recursion, so no nesting however deep can overflow the call stack.
 */
export function cleanDecoded(value: unknown, clean: (text: string) => string): unknown {
  if (typeof value === 'string') return clean(value);
  const stack: Array<Record<string, unknown> | unknown[]> = [];
  // A value the action built itself may share an object, or hold a cycle: each object is cleaned once.
  const seen = new WeakSet<object>();
  const visit = (item: unknown, set: (cleaned: unknown) => void) => {
    if (typeof item === 'string') {
      const cleaned = clean(item);
      if (cleaned !== item) set(cleaned);
    } else if (item !== null && typeof item === 'object' && !seen.has(item)) {
      seen.add(item);
      stack.push(item as Record<string, unknown>);
    }
  };
  visit(value, () => {});
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (Array.isArray(node)) {
      const array = node;
      for (let i = 0; i < array.length; i++) visit(array[i], (cleaned) => (array[i] = cleaned));
      continue;
    }
    const object = node;
    for (const key of Object.keys(object)) {
      const cleanKey = clean(key);
      if (cleanKey !== key) {
        const item = object[key];
        delete object[key];
        setOwn(object, cleanKey, item);
      }
      visit(object[cleanKey], (cleaned) => setOwn(object, cleanKey, cleaned));
    }
  }
  return value;
}

/** An own property, even for a key such as `__proto__` that plain assignment would treat specially. */
function setOwn(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Unicode format characters: bidi overrides and isolates, zero-width spaces and joiners, the BOM, soft hyphens. */
const FORMAT_CHARACTERS = /\p{Cf}/gu;

/** Text without the invisible characters that can reorder or hide what a reader sees. */
export function withoutInvisible(text: string): string {
  return text.replace(FORMAT_CHARACTERS, '');
}

/**
 * Everything the runner (or a reader) could take for a line break, except `\n` (`\r` ends a line
 * for the runner just as `\n` does), and the other control characters: ESC and the 8-bit CSI
 * start terminal escape sequences, which the log viewer renders (colours, hidden text).
 */
// eslint-disable-next-line no-control-regex
const OTHER_BREAKS = /\r\n?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A message for the runner's log that cannot be read as a workflow command: the runner takes any
 * line that starts (after blanks) with `::` as a command, and `##[` anywhere in a line as the old
 * form of one. Line breaks other than `\n` become spaces, so text cannot start a line the caller
 * did not start; a line that would still start with `::` gets a space inside it, and `##[` becomes
 * `## [`. Terminal escapes, invisible characters are removed and the message is cut to `max`.
 */
export function inertLog(message: string, max = MAX_LOG_TEXT): string {
  return cutText(withoutInvisible(message), max)
    .replace(OTHER_BREAKS, ' ')
    .split('\n')
    .map((line) => {
      const defused = line.replace(/##\[/g, '## [');
      return /^\s*::/.test(defused) ? defused.replace('::', ': :') : defused;
    })
    .join('\n');
}

/** Each string cut to the first of these lengths that lets the whole JSON fit. */
const JSON_STRING_STEPS = [MAX_API_TEXT, 300, 60];

/**
 * `value` as JSON text of at most `maxBytes` UTF-8 bytes, its strings cut shorter and shorter until
 * it fits; null when even the shortest does not. `value` itself is not changed.
 */
export function boundedJson(value: unknown, maxBytes: number, indent?: number): string | null {
  const whole = JSON.stringify(value, null, indent);
  if (Buffer.byteLength(whole) <= maxBytes) return whole;
  for (const max of JSON_STRING_STEPS) {
    const text = JSON.stringify(cleanDecoded(JSON.parse(whole), (item) => cutText(item, max)), null, indent);
    if (Buffer.byteLength(text) <= maxBytes) return text;
  }
  return null;
}
