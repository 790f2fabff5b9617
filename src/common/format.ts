/** Figures as a reader sees them, the same in the log, the summary, the comment and the outputs' messages. */

/** Scores with as many decimals as they need, up to four: 0.87, 0.8, 0.8765. */
export function formatScore(score: number): string {
  return String(Number(score.toFixed(4)));
}

/** Decimals enough for every figure (up to four), so a figure and its interval read alike. */
export function decimalsFor(values: number[]): number {
  return Math.max(0, ...values.map((value) => (formatScore(Math.abs(value)).split('.')[1] ?? '').length));
}

/** `value` with `decimals` decimals; `signed`: with its sign (`−0.0600`, `+0.0100`), and no sign on zero. */
export function fixed(value: number, decimals: number, signed: boolean): string {
  const text = Math.abs(value).toFixed(decimals);
  if (!signed || Number(text) === 0) return Number(text) === 0 ? (0).toFixed(decimals) : text;
  return value < 0 ? `−${text}` : `+${text}`;
}
