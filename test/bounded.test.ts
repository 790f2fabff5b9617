import { describe, expect, it } from 'vitest';
import { FirstN, WorstK } from '../src/report/bounded.js';
import { compareDocuments } from '../src/run-details.js';

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
