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
