/**
 * Bounded collections for streams of any length: the K worst items seen (a heap of size K) and the
 * first N items. Each holds at most its limit, however many items pass through.
 */

/**
 * Keeps the `limit` items that rank lowest by `compare` (negative when `a` is worse than `b`).
 * The heap's root is the best item kept, the first to go when a worse one arrives.
 */
export class WorstK<T> {
  private readonly heap: T[] = [];
  private seen = 0;

  constructor(
    readonly limit: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  add(item: T): void {
    this.seen += 1;
    if (this.limit <= 0) return;
    if (this.heap.length < this.limit) {
      this.heap.push(item);
      this.siftUp(this.heap.length - 1);
    } else if (this.compare(item, this.heap[0] as T) < 0) {
      this.heap[0] = item;
      this.siftDown(0);
    }
  }

  /** How many items were offered in all. */
  get count(): number {
    return this.seen;
  }

  /** The kept items, worst first. */
  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  /** Max-heap on `compare`: a parent is never worse than its children. */
  private better(i: number, j: number): boolean {
    return this.compare(this.heap[i] as T, this.heap[j] as T) > 0;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let top = i;
      if (left < this.heap.length && this.better(left, top)) top = left;
      if (right < this.heap.length && this.better(right, top)) top = right;
      if (top === i) return;
      this.swap(i, top);
      i = top;
    }
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i] as T;
    this.heap[i] = this.heap[j] as T;
    this.heap[j] = a;
  }
}

/** Keeps the first `limit` items and counts the rest. */
export class FirstN<T> {
  readonly items: T[] = [];
  private seen = 0;

  constructor(readonly limit: number) {}

  add(item: T): void {
    this.seen += 1;
    if (this.items.length < this.limit) this.items.push(item);
  }

  get count(): number {
    return this.seen;
  }
}

/**
 * Counts items by key, keeping at most `maxKeys` distinct keys; items with any further key are
 * counted under `otherKey`, so a stream of ever-new keys cannot grow the table.
 */
export class BoundedCounts {
  // A Map, not an object: a key such as `__proto__` is counted like any other.
  private readonly map = new Map<string, number>();

  constructor(
    readonly maxKeys: number,
    readonly otherKey: string,
  ) {}

  add(key: string): void {
    const counted = this.map.has(key) || this.map.size < this.maxKeys ? key : this.otherKey;
    this.map.set(counted, (this.map.get(counted) ?? 0) + 1);
  }

  /** The counts as a plain object, in the order the keys were first seen. */
  get counts(): Record<string, number> {
    return Object.fromEntries(this.map);
  }
}

/**
 * Tells when a sequence comes back to a value it has already produced (Brent's cycle detection):
 * one remembered value instead of all of them. A value repeated at once is caught on the next
 * step; a longer loop within about twice its length.
 */
export class RepeatDetector<T> {
  private saved: { value: T } | null = null;
  private power = 1;
  private steps = 0;

  /** True when `value` closes a loop. */
  repeats(value: T): boolean {
    if (this.saved && this.saved.value === value) return true;
    this.steps += 1;
    if (this.steps === this.power) {
      this.saved = { value };
      this.power *= 2;
      this.steps = 0;
    }
    return false;
  }
}
