import { describe, expect, it } from 'vitest';
import { detailsBudgetMs } from '../src/gate/gate.js';

describe('the time the report reads get after the run', () => {
  it.each([
    [600_000, 120_000],
    [60_000, 60_000],
    [3_000, 15_000],
    [-5_000, 15_000],
  ])('with %i ms of the timeout left: %i ms', (remaining, budget) => {
    expect(detailsBudgetMs(remaining)).toBe(budget);
  });
});
