/**
 * The statistics behind the error bars and the regression rule: running moments kept as sums
 * (constant memory however many documents), Student's t intervals for a mean, and the power of the
 * rule "the whole interval of the change lies below −max_score_drop". Pure, no dependencies.
 */

/** n, mean and sample standard deviation of a set of values: all the intervals below need. */
export interface Sample {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 when n < 2. */
  sd: number;
}

/** Mean and variance updated one value at a time (Welford), so no list of values is kept. */
export class Moments {
  private count = 0;
  private runningMean = 0;
  private squares = 0;

  add(value: number): void {
    this.count += 1;
    const before = value - this.runningMean;
    this.runningMean += before / this.count;
    this.squares += before * (value - this.runningMean);
  }

  sample(): Sample | null {
    if (this.count === 0) return null;
    const variance = this.count < 2 ? 0 : Math.max(0, this.squares / (this.count - 1));
    return { n: this.count, mean: this.runningMean, sd: Math.sqrt(variance) };
  }
}

export interface Interval {
  /** Confidence level, e.g. 0.95. */
  level: number;
  n: number;
  mean: number;
  /** Standard error of the mean: sd / √n. */
  se: number;
  low: number;
  high: number;
}

/**
 * The two-sided `level` confidence interval of the mean (Student's t, n − 1 degrees of freedom); null
 * below 2 values. With few values the t interval can reach past what the values can be (a score
 * above 1): it is then cut to `range`, which is where the true mean lies anyway.
 */
export function meanInterval(sample: Sample, level: number, range: { min: number; max: number } = { min: -Infinity, max: Infinity }): Interval | null {
  if (sample.n < 2 || !(level > 0 && level < 1)) return null;
  const se = sample.sd / Math.sqrt(sample.n);
  const half = tQuantile((1 + level) / 2, sample.n - 1) * se;
  return { level, n: sample.n, mean: sample.mean, se, low: Math.max(range.min, sample.mean - half), high: Math.min(range.max, sample.mean + half) };
}

/** Where a mean score lies, and a mean change of scores. */
export const SCORE_RANGE = { min: 0, max: 1 } as const;
export const CHANGE_RANGE = { min: -1, max: 1 } as const;

/** The probability of catching a drop that the power figures are for: four times out of five. */
export const POWER = 0.8;

/**
 * The smallest true drop that the rule "fail when the whole `level` interval of the mean change
 * lies below −maxDrop" catches with probability `power`, for paired changes with this spread and n.
 * The rule fails when mean + t·se < −maxDrop; with the mean change ~ N(−drop, se), that happens with
 * probability `power` when drop = maxDrop + (t_level + t_power)·se (normal approximation to the
 * noncentral t; docs/statistics.md checks it by simulation). Null below 2 values.
 */
export function detectableDrop(sample: Pick<Sample, 'n' | 'sd'>, level: number, maxDrop: number, power = POWER): number | null {
  if (sample.n < 2) return null;
  const df = sample.n - 1;
  return maxDrop + (tQuantile((1 + level) / 2, df) + tQuantile(power, df)) * (sample.sd / Math.sqrt(sample.n));
}

/** Enough documents for any n: beyond this the answer is "more than this". */
const MAX_DOCUMENTS = 10_000_000;

/**
 * How many paired documents (with this spread) make `detectableDrop` at most `target`: the
 * smallest such n, or null when none does (target ≤ maxDrop, or more than ten million).
 */
export function documentsNeeded(sd: number, level: number, maxDrop: number, target: number, power = POWER): number | null {
  const margin = target - maxDrop;
  if (!(margin > 0)) return null;
  if (sd === 0) return 2;
  const enough = (n: number) => (tQuantile((1 + level) / 2, n - 1) + tQuantile(power, n - 1)) * (sd / Math.sqrt(n)) <= margin;
  // The normal figure is a lower bound (t > z); search upward from it by doubling, then bisect.
  const z = normalQuantile((1 + level) / 2) + normalQuantile(power);
  let low = Math.max(2, Math.floor(((z * sd) / margin) ** 2));
  if (enough(low)) {
    while (low > 2 && enough(low - 1)) low -= 1;
    return low > MAX_DOCUMENTS ? null : low;
  }
  let high = low * 2;
  while (!enough(high)) {
    if (high > MAX_DOCUMENTS) return null;
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (enough(middle)) high = middle;
    else low = middle;
  }
  return high > MAX_DOCUMENTS ? null : high;
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom, through the regularized incomplete beta function. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The quantile of Student's t: the t with P(T ≤ t) = p, by bisection on the distribution function. */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let high = Math.max(1, 2 * normalQuantile(p));
  while (studentTCdf(high, df) < p) high *= 2;
  let low = 0;
  for (let i = 0; i < 200 && high - low > 1e-13 * Math.max(1, high); i++) {
    const middle = (low + high) / 2;
    if (studentTCdf(middle, df) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** The regularized incomplete beta function I_x(a, b) (continued fraction, modified Lentz). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only on this side of the mean; use the symmetry on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    for (const term of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + term * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + term / c;
      if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms). */
function logGamma(x: number): number {
  const g = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = g[0]!;
  for (let i = 1; i < 9; i++) sum += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}
