// @ts-check
/**
 * `npm run build && node scripts/simulate-regression.js`: how the `max_score_drop` rule with
 * `confidence` behaves, by simulation. Each trial draws the per-document changes of a run against
 * its prior run with a known true mean change, keeps them as the action does (running sums), and
 * asks the real rule (compiled from src/ into build/) whether the run fails. docs/statistics.md
 * holds its output.
 *
 * Options: --trials=N per cell (10000), --seed=N, --max-drop=D (0.02), --level=L (0.95).
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { mulberry32 } from '../test/support/prng.js';
import { ROOT } from '../test/support/run-action.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key ?? '', value ?? 'true'];
  }),
);
const TRIALS = Number(args.trials ?? 10_000);
const SEED = Number(args.seed ?? 20261129);
const MAX_DROP = Number(args['max-drop'] ?? 0.02);
const LEVEL = Number(args.level ?? 0.95);

const load = (/** @type {string} */ file) => import(pathToFileURL(join(ROOT, 'build', file)).href);
const { withRunDetails } = await load('gate/result.js');
const { Moments } = await load('common/statistics.js');

const random = mulberry32(SEED);
/** A standard normal draw (Box-Muller). */
function normal() {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * How a document's score changes between two runs, around the true mean change `delta`:
 * - `normal`: every document moves a little (sd 0.05);
 * - `flips`: most documents do not move at all and one in ten moves a lot (±0.15), as when a
 *   field flips between right and wrong (sd about 0.05 too, far from normal).
 */
const MODELS = {
  normal: (/** @type {number} */ delta) => delta + 0.05 * normal(),
  flips: (/** @type {number} */ delta) => delta + (random() < 0.1 ? (random() < 0.5 ? -0.15 : 0.15) : 0),
};

const run = { id: 'exprun_sim', status: 'completed', score: 0.8, error_count: 0, total_document_count: 0, completed_document_count: 0 };
const base = { status: 'completed', passed: true, failures: [], runId: 'exprun_sim', threshold: 0, maxErrors: 0, run, waitedMs: 0 };
const policy = { maxScoreDrop: MAX_DROP, onMissingComparison: 'warn', confidence: LEVEL };

/** The share of trials in which the rule fails the run, and the mean predicted detectable drop. */
function failRate(/** @type {(delta: number) => number} */ model, /** @type {number} */ n, /** @type {number} */ delta) {
  let failed = 0;
  let detectable = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const changes = new Moments();
    for (let i = 0; i < n; i++) changes.add(model(delta));
    const sample = changes.sample();
    const metrics = {
      state: 'ok', score: 0.8 + sample.mean, prior_score: 0.8, prior_run_id: 'exprun_prior', scored_document_count: n, total_document_count: n,
      listed_document_count: n, unscored_document_count: 0, worst_documents: [], document_scores: { n, mean: 0.8, sd: 0.1 }, paired_changes: sample,
    };
    const result = withRunDetails(base, { requested_prior_run_id: null, metrics, results: { state: 'failed', message: 'not read' } }, policy);
    if (result.failures.some((/** @type {{ rule: string }} */ f) => f.rule === 'score_regressed')) failed += 1;
    detectable += result.comparison.statistics.power.detectable_drop;
  }
  return { rate: failed / TRIALS, detectable: detectable / TRIALS };
}

const percent = (/** @type {number} */ x) => `${(100 * x).toFixed(2)} %`;
console.log(`max_score_drop ${MAX_DROP}, confidence ${LEVEL}, ${TRIALS} trials per cell, seed ${SEED}`);
console.log(`bound for a true change of exactly -max_score_drop: (1 - level) / 2 = ${percent((1 - LEVEL) / 2)}`);
console.log('');
console.log(`Monte Carlo standard error of a rate p: √(p(1 − p) / ${TRIALS}), e.g. ${percent(Math.sqrt((0.025 * 0.975) / TRIALS))} at 2.5 %, ${percent(Math.sqrt((0.8 * 0.2) / TRIALS))} at 80 %`);
console.log('');
console.log('| changes | documents | fails, no true change | fails, true change −max_score_drop | catches a true drop of 2 × max_score_drop | smallest drop caught 4 in 5 (predicted) | catches that drop |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, model] of Object.entries(MODELS)) {
  for (const n of [30, 100, 1_000]) {
    const none = failRate(model, n, 0);
    const atLimit = failRate(model, n, -MAX_DROP);
    const twice = failRate(model, n, -2 * MAX_DROP);
    const predicted = failRate(model, n, -twice.detectable);
    console.log(`| ${name} | ${n} | ${percent(none.rate)} | ${percent(atLimit.rate)} | ${percent(twice.rate)} | ${twice.detectable.toFixed(4)} | ${percent(predicted.rate)} |`);
  }
}
