import { describe, expect, it } from 'vitest';
import { BoundedCounts, FirstN, RepeatDetector, WorstK } from '../src/details/bounded.js';
import { compareDocuments } from '../src/details/run-details.js';

describe('WorstK', () => {
  it('keeps exactly the K worst of a long stream, worst first, the same as a full sort', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const docs = Array.from({ length: 5_000 }, (_, i) => ({ id: `d${i}`, score: Math.round(random() * 100) / 100, prior_score: random() < 0.2 ? null : random() }));
    const worst = new WorstK(25, compareDocuments);
    for (const doc of docs) worst.add(doc);
    expect(worst.sorted()).toEqual([...docs].sort(compareDocuments).slice(0, 25));
    expect(worst.count).toBe(5_000);
  });

  it('keeps everything when there are fewer than K, and nothing when K is 0', () => {
    const few = new WorstK<number>(10, (a, b) => a - b);
    for (const n of [3, 1, 2]) few.add(n);
    expect(few.sorted()).toEqual([1, 2, 3]);
    const none = new WorstK<number>(0, (a, b) => a - b);
    none.add(1);
    expect(none.sorted()).toEqual([]);
    expect(none.count).toBe(1);
  });

  it('breaks score ties by the larger fall from the prior score, then by id', () => {
    const a = { id: 'a', score: 0.5, prior_score: 0.6 };
    const b = { id: 'b', score: 0.5, prior_score: 0.9 };
    const c = { id: 'c', score: 0.5, prior_score: 0.9 };
    expect([a, c, b].sort(compareDocuments).map((d) => d.id)).toEqual(['b', 'c', 'a']);
  });
});

describe('FirstN', () => {
  it('keeps the first N and counts all', () => {
    const first = new FirstN<number>(2);
    for (let i = 0; i < 10; i++) first.add(i);
    expect(first.items).toEqual([0, 1]);
    expect(first.count).toBe(10);
  });
});

describe('BoundedCounts', () => {
  it('counts each key until the limit, then counts new keys together', () => {
    const counts = new BoundedCounts(2, 'other');
    for (const key of ['a', 'b', 'a', 'c', 'd', 'b', 'c']) counts.add(key);
    expect(counts.counts).toEqual({ a: 2, b: 2, other: 3 });
  });
  it('counts a key named __proto__ like any other', () => {
    const counts = new BoundedCounts(5, 'other');
    counts.add('__proto__');
    counts.add('__proto__');
    expect(Object.entries(counts.counts)).toEqual([['__proto__', 2]]);
  });
});

describe('RepeatDetector', () => {
  it('never reports a repeat in a sequence of distinct values', () => {
    const detector = new RepeatDetector<string>();
    for (let i = 0; i < 10_000; i++) expect(detector.repeats(`c${i}`)).toBe(false);
  });
  it.each([
    [0, 1],
    [0, 2],
    [5, 3],
    [17, 40],
  ])('catches a loop of length %#: after a %i-step lead-in, cycling through %i values, within about twice its length', (lead, length) => {
    const detector = new RepeatDetector<string>();
    const value = (step: number) => (step < lead ? `lead${step}` : `loop${(step - lead) % length}`);
    let step = 0;
    while (!detector.repeats(value(step))) {
      step += 1;
      expect(step).toBeLessThan(2 * (lead + length) + 2);
    }
    expect(step).toBeGreaterThanOrEqual(lead + length);
  });
  it('catches a value repeated at once on the next step', () => {
    const detector = new RepeatDetector<string>();
    expect(detector.repeats('same')).toBe(false);
    expect(detector.repeats('same')).toBe(true);
  });
});
