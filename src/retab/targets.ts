/**
 * What the metrics say field by field: the summary's `aggregate` (per-field likelihoods for
 * extract blocks; per-label agreement and confusion flows for classifier and split blocks) and
 * one field's scores from `view=by_target`. Read leniently: an `aggregate` that does not have this
 * shape is treated as missing, never guessed at.
 */
import * as z from 'zod/mini';
import { definiteScoreSchema } from './run.js';

/**
 * Field scores, label agreements and confusion shares are scores like the run's: in [0, 1], noise
 * clamped. A figure far outside (1e308) is not one, and would make a change of Infinity.
 */
const figure = definiteScoreSchema;

/**
 * A JSON object of names → figures, read as its list of entries. Not `z.record`: it builds a plain
 * object by assignment, where a field named `__proto__` sets the prototype instead of a key, and so
 * vanishes. `JSON.parse` keeps every name an own key; `Object.keys` lists them all, and a list of
 * entries never meets a prototype again. The names are data like any other: `constructor`,
 * `toString` and `__proto__` are fields.
 */
const figureEntries = z.pipe(
  z.custom<Record<string, unknown>>((value) => value !== null && typeof value === 'object' && !Array.isArray(value)),
  z.transform((record: Record<string, unknown>, ctx) => {
    const entries: Array<[string, number | null]> = [];
    for (const name of Object.keys(record)) {
      // An own key: its value is read, not Object.prototype's accessor of the same name.
      const parsed = z.nullable(figure).safeParse(record[name]);
      if (!parsed.success) {
        ctx.issues.push({ code: 'custom', message: 'expected a figure from 0 to 1, or null', input: record, path: [name] });
        return z.NEVER;
      }
      entries.push([name, parsed.data]);
    }
    return entries;
  }),
);

const aggregateSchema = z.object({
  likelihoods: z.nullish(figureEntries),
  diag: z.nullish(figureEntries),
  flows: z.nullish(z.array(z.object({ source: z.string(), target: z.string(), score: figure }))),
});

export interface Aggregate {
  /** Field path → score, for extract blocks. */
  likelihoods: Array<[path: string, score: number]>;
  /** Label → agreement, for classifier and split blocks. */
  diag: Array<[label: string, score: number]>;
  /** How often `source` was taken for `target` (confusion), for classifier and split blocks. */
  flows: Array<{ source: string; target: string; score: number }>;
}

/** The summary's `aggregate`, or null when it is absent or not in a shape we know. */
export function readAggregate(raw: unknown): Aggregate | null {
  if (raw === null || raw === undefined) return null;
  const parsed = aggregateSchema.safeParse(raw);
  if (!parsed.success) return null;
  const known = (entries: Array<[string, number | null]> | null | undefined) => (entries ?? []).filter((entry): entry is [string, number] => entry[1] !== null);
  return { likelihoods: known(parsed.data.likelihoods), diag: known(parsed.data.diag), flows: parsed.data.flows ?? [] };
}

/** `GET …/metrics?view=by_target&target_path=P`: the field's score and the prior run's (its documents are not kept). */
export const rawTargetSchema = z.object({
  kind: z.optional(z.string()),
  // Checked against the run and the baseline asked for (see the client).
  run_id: z.nullish(z.string()),
  prior_run_id: z.nullish(z.string()),
  target: z.nullish(z.string()),
  score: z.nullish(figure),
  prior_score: z.nullish(figure),
});

export interface TargetScore {
  score: number | null;
  prior_score: number | null;
}
