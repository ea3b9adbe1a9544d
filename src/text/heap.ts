// A small binary heap used by the BPE and WordPiece trainers and the BPE encoder.

/** A binary heap over tuples of number keys with a caller-given "comes first" order. */
export class Heap<T extends readonly number[]> {
  private readonly items: T[] = [];
  constructor(private readonly first: (x: T, y: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const h = this.items;
    h.push(x);
    let i = h.length - 1;
    // sift up: x moves towards the root while it comes before its parent (indices < h.length)
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.first(x, parent)) break;
      h[i] = parent;
      h[p] = x;
      i = p;
    }
  }
  pop(): T | undefined {
    const h = this.items;
    const last = h.pop();
    if (last === undefined) return undefined; // empty
    const top = h[0];
    if (top === undefined) return last; // last was the only item
    h[0] = last;
    let i = 0;
    // sift down: last moves towards the leaves while a child comes before it (l, r checked < h.length)
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i,
        best = last;
      if (l < h.length) {
        const c = h[l]!;
        if (this.first(c, best)) {
          m = l;
          best = c;
        }
      }
      if (r < h.length) {
        const c = h[r]!;
        if (this.first(c, best)) {
          m = r;
          best = c;
        }
      }
      if (m === i) break;
      h[i] = best;
      h[m] = last;
      i = m;
    }
    return top;
  }
}
