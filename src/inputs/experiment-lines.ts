/**
 * The `experiments` input, read line by line: an experiment id (or `run:<run_id>`), then optional
 * `key=value` settings for that line. Pure, and only the syntax: the values are checked by the
 * single-experiment parsers (see settings.ts), so each rule is written once.
 *
 *     exp_extract   threshold=0.9 name="Extract invoices"
 *     exp_classify  max_errors=2          # a comment
 *     run:exprun_abc123 threshold=85%
 */
import { InputError, quote } from '../common/errors.js';

/** The settings a line may give for itself; the step's inputs of the same names are the defaults. */
export const LINE_KEYS = ['threshold', 'max_errors', 'max_score_drop', 'baseline_run_id', 'workflow_id', 'name'] as const;
export type LineKey = (typeof LINE_KEYS)[number];

/** More would make a summary no one reads, and a burst of requests. */
export const MAX_EXPERIMENTS = 50;
const MAX_NAME_LENGTH = 100;

export interface ExperimentLine {
  /** 1-based, as a user counts the lines of the input. */
  line: number;
  target: { kind: 'run'; runId: string } | { kind: 'experiment'; experimentId: string };
  /** The raw values given on the line, checked later by the input parsers. */
  settings: Partial<Record<Exclude<LineKey, 'name'>, string>>;
  /** How the experiment is called in the summary and `results`: `name=`, else its id. */
  name: string;
}

/** A bad line of `experiments`: names the line, the setting and what is accepted. */
export class ExperimentLineError extends InputError {
  constructor(
    readonly line: number,
    readonly key: string | null,
    value: string,
    accepted: string,
  ) {
    super('experiments', value, accepted);
    this.message = `Input \`experiments\`, line ${line}${key ? ` (\`${key}\`)` : ''}: got ${quote(value)}; ${accepted}`;
  }
}

/** The lines that could be read, and what was wrong with the others: the values of the good ones are still worth checking. */
export interface LinesResult {
  lines: ExperimentLine[];
  errors: InputError[];
}

// The id's shape itself is checked by the `run_id` / `experiment_id` parsers.
const RUN_PREFIX = 'run:';

export function parseExperimentLines(text: string): LinesResult {
  const lines: ExperimentLine[] = [];
  const errors: InputError[] = [];
  text.split(/\r?\n/).forEach((source, index) => {
    const parsed = parseLine(source, index + 1);
    if (parsed === null) return;
    if (parsed instanceof ExperimentLineError) errors.push(parsed);
    else lines.push(parsed);
  });
  if (errors.length === 0 && lines.length === 0) {
    errors.push(new InputError('experiments', text.trim(), 'expected at least one experiment: an experiment id (or `run:<run_id>`) per line, then optional `key=value` settings'));
  }
  if (lines.length > MAX_EXPERIMENTS) {
    errors.push(new InputError('experiments', `${lines.length} experiments`, `at most ${MAX_EXPERIMENTS} experiments per step; split them over several steps`));
  }
  const repeated = duplicates(lines);
  errors.push(...repeated);
  return { lines: lines.filter((entry) => !repeated.some((error) => error.line === entry.line)), errors };
}

/** One line: `null` for a blank line or a comment. */
function parseLine(source: string, line: number): ExperimentLine | ExperimentLineError | null {
  const tokens = tokenize(source);
  if (tokens instanceof Error) return new ExperimentLineError(line, null, source.trim(), tokens.message);
  const [head, ...rest] = tokens;
  if (head === undefined) return null;
  if (head.includes('=')) {
    return new ExperimentLineError(line, null, source.trim(), 'a line starts with an experiment id (e.g. "exp_abc123") or `run:<run_id>`, then `key=value` settings');
  }
  if (head === RUN_PREFIX) return new ExperimentLineError(line, null, head, 'expected a run id after `run:`, e.g. "run:exprun_abc123"');
  const target = head.startsWith(RUN_PREFIX) ? ({ kind: 'run', runId: head.slice(RUN_PREFIX.length) } as const) : ({ kind: 'experiment', experimentId: head } as const);
  const settings: ExperimentLine['settings'] = {};
  let name: string | null = null;
  const seen = new Set<string>();
  for (const [index, token] of rest.entries()) {
    const at = token.indexOf('=');
    const key = at < 0 ? token : token.slice(0, at);
    const value = at < 0 ? '' : token.slice(at + 1);
    if (at < 0 || !isLineKey(key)) {
      return spacesHint(line, rest, index) ?? new ExperimentLineError(line, null, token, `expected \`key=value\` with a key among ${LINE_KEYS.join(', ')}`);
    }
    if (seen.has(key)) return new ExperimentLineError(line, key, token, 'each setting at most once per line');
    seen.add(key);
    if (key === 'name') {
      // eslint-disable-next-line no-control-regex
      if (value === '' || value.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
        return new ExperimentLineError(line, key, value, `expected a name of 1 to ${MAX_NAME_LENGTH} printable characters, in double quotes when it has spaces`);
      }
      name = value;
    } else if (key === 'workflow_id' && target.kind === 'run') {
      return new ExperimentLineError(line, key, value, '`workflow_id` is only used to start a run of an experiment; a `run:` line waits for an existing run, so remove it');
    } else {
      settings[key] = value;
    }
  }
  return { line, target, settings, name: name ?? head };
}

/**
 * A word that is no setting, where spaces are the likely slip: a name with spaces not in double
 * quotes, spaces around `=`, or several experiments on one line. `null` when none of these fits.
 */
function spacesHint(line: number, tokens: string[], index: number): ExperimentLineError | null {
  const token = tokens[index] ?? '';
  const before = tokens[index - 1] ?? '';
  const after = tokens[index + 1];
  const [key = '', value = ''] = splitSetting(before);
  if (key === 'name' && before.includes('=') && !token.includes('=')) {
    const words = [value, ...takeWhile(tokens.slice(index), (word) => !word.includes('='))].filter((word) => word !== '');
    const text = words.join(' ');
    const unquoted = text.replace(/^'(.*)'$/, '$1');
    return new ExperimentLineError(line, 'name', `name=${text}`, `a value with spaces goes in double quotes right after \`=\`: name="${unquoted}"`);
  }
  if (isLineKey(key) && before === `${key}=`) {
    return new ExperimentLineError(line, key, `${before} ${token}`, `write \`${key}=${token}\`, without spaces around \`=\``);
  }
  if (isLineKey(token) && after !== undefined && after.startsWith('=')) {
    const given = after === '=' ? (tokens[index + 2] ?? '') : after.slice(1);
    return new ExperimentLineError(line, token, `${token} ${after}${after === '=' && given ? ` ${given}` : ''}`, `write \`${token}=${given}\`, without spaces around \`=\``);
  }
  if (!isLineKey(token) && /^(?:run:)?[A-Za-z0-9][A-Za-z0-9_-]*,?$/.test(token)) {
    return new ExperimentLineError(line, null, token, 'one experiment per line, without commas: write `experiments: |` and then each id on its own line, with its settings after it');
  }
  return null;
}

function splitSetting(token: string): [string, string] {
  const at = token.indexOf('=');
  return at < 0 ? [token, ''] : [token.slice(0, at), token.slice(at + 1)];
}

function takeWhile<T>(items: T[], keep: (item: T) => boolean): T[] {
  const end = items.findIndex((item) => !keep(item));
  return end < 0 ? items : items.slice(0, end);
}

function isLineKey(key: string): key is LineKey {
  return (LINE_KEYS as readonly string[]).includes(key);
}

/**
 * Words split on whitespace; `"…"` keeps spaces inside a value (`name="Extract invoices"`); a word
 * starting with `#` begins a comment.
 */
function tokenize(source: string): string[] | Error {
  const tokens: string[] = [];
  const word = /\s*(?:([^\s"=#][^\s"=]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)|(#.*)|(\S+))/y;
  let rest = source.trimEnd();
  while (rest.trim() !== '') {
    word.lastIndex = 0;
    const match = word.exec(rest);
    if (!match) return new Error('could not read the line');
    const [whole, key, value, comment, plain] = match;
    if (comment !== undefined) break;
    if (plain !== undefined) {
      if (plain.includes('"')) return new Error('a value with spaces goes in double quotes right after `=`, e.g. name="Extract invoices"');
      tokens.push(plain);
    } else if (key !== undefined && value !== undefined) {
      tokens.push(`${key}=${value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value}`);
    }
    rest = rest.slice(whole.length);
  }
  return tokens;
}

/** Two lines for one experiment would race each other's start; two for one run would gate it twice. */
function duplicates(lines: ExperimentLine[]): ExperimentLineError[] {
  const errors: ExperimentLineError[] = [];
  const byTarget = new Map<string, number>();
  const byName = new Map<string, number>();
  for (const entry of lines) {
    const key = entry.target.kind === 'run' ? `run:${entry.target.runId}` : entry.target.experimentId;
    const earlier = byTarget.get(key);
    if (earlier !== undefined) {
      errors.push(new ExperimentLineError(entry.line, null, key, `line ${earlier} already names it; give each experiment or run once`));
      continue;
    }
    byTarget.set(key, entry.line);
    const named = byName.get(entry.name);
    if (named !== undefined) errors.push(new ExperimentLineError(entry.line, 'name', entry.name, `line ${named} has the same name; give each line its own \`name\``));
    else byName.set(entry.name, entry.line);
  }
  return errors;
}
