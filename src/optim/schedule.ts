// Learning-rate schedules: step t (1-based) → learning rate.

export type Schedule = (t: number) => number;

export function constantLr(lr: number): Schedule {
  return () => lr;
}

/**
 * Linear warmup from 0 to `lr` over `warmup` steps, then cosine decay to `minLr` at `total`
 * steps, flat after (nanoGPT's get_lr: warmup uses (t+1)/warmup with 0-based t, i.e. t/warmup here).
 */
export function warmupCosine(o: { lr: number; warmup: number; total: number; minLr?: number }): Schedule {
  const minLr = o.minLr ?? o.lr / 10;
  return (t) => {
    if (t <= o.warmup) return (o.lr * t) / Math.max(1, o.warmup);
    if (t >= o.total) return minLr;
    const ratio = (t - o.warmup) / Math.max(1, o.total - o.warmup);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (o.lr - minLr);
  };
}
