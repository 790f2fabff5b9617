/** Figures as a reader sees them, the same in the log, the summary, the comment and the outputs' messages. */

/** Scores with as many decimals as they need, up to four: 0.87, 0.8, 0.8765. */
export function formatScore(score: number): string {
  return String(Number(score.toFixed(4)));
}
