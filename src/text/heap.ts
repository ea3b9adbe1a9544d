// A small binary heap used by the BPE and WordPiece trainers and the BPE encoder.

/** A binary heap over number keys with a caller-given "comes first" order. */
export class Heap {
  private readonly items: number[][] = [];
  constructor(private readonly first: (x: number[], y: number[]) => boolean) {}
  get size(): number { return this.items.length; }
  push(x: number[]): void {
    const h = this.items;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.first(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): number[] | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.first(h[l], h[m])) m = l;
        if (r < h.length && this.first(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
