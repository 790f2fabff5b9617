/**
 * What the metrics say field by field: the summary's `aggregate` (per-field likelihoods for
 * extract blocks; per-label agreement and confusion flows for classifier and split blocks) and
 * one field's scores from `view=by_target`. Read leniently: an `aggregate` that does not have this
 * shape is treated as missing, never guessed at.
 */
import { z } from 'zod';

const figure = z.number().refine(Number.isFinite);

const aggregateSchema = z.object({
  likelihoods: z.record(z.string(), figure.nullable()).nullish(),
  diag: z.record(z.string(), figure.nullable()).nullish(),
  flows: z.array(z.object({ source: z.string(), target: z.string(), score: figure })).nullish(),
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
  const known = (record: Record<string, number | null> | null | undefined) =>
    Object.entries(record ?? {}).filter((entry): entry is [string, number] => entry[1] !== null);
  return { likelihoods: known(parsed.data.likelihoods), diag: known(parsed.data.diag), flows: parsed.data.flows ?? [] };
}

/** `GET …/metrics?view=by_target&target_path=P`: the field's score and the prior run's (its documents are not kept). */
export const rawTargetSchema = z.object({
  kind: z.string().optional(),
  target: z.string().nullish(),
  score: figure.nullish(),
  prior_score: figure.nullish(),
});

export interface TargetScore {
  score: number | null;
  prior_score: number | null;
}
