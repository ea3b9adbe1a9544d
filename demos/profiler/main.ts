// Profiler demo: one pre-LN transformer block with a cross-entropy head, trained with AdamW, its
// compiled step replayed under the Profiler; shows the per-kernel table.
import { createContext, Graph, Rng, gpu, nn, optim } from '../../src/index';

const B = 2;
const T = 64;
const C = 64;
const H = 4;
const V = 96;

const $ = (id: string): HTMLElement => document.getElementById(id)!;

function show(rows: gpu.KernelRow[]): void {
  $('rows').innerHTML = rows
    .map(
      (r) =>
        `<tr><td>${r.kernel}</td><td>${r.op}</td><td>${r.calls}</td><td>${r.totalMs.toFixed(3)}</td><td>${r.meanMs.toFixed(4)}</td><td>${r.gflops.toFixed(2)}</td><td>${r.gbps.toFixed(2)}</td></tr>`,
    )
    .join('');
}

async function main(): Promise<void> {
  const ctx = await createContext();
  $('adapter').textContent = ctx.adapter.name;
  if (!ctx.features.timestampQuery) {
    $('status').textContent = 'this adapter has no timestamp-query feature: GPU timings are unavailable';
    document.body.dataset.ready = '1';
    return;
  }
  const rng = new Rng(1);
  const g = new Graph();
  const ids = g.input('ids', [B * T], 'i32');
  const targets = g.input('targets', [B * T], 'i32');
  const wte = new nn.Embedding(g, 'wte', V, C, rng, nn.init.normal(rng, 0.02));
  const block = new nn.TransformerBlock(g, 'h.0', C, H, rng, { causal: true, init: nn.init.normal(rng, 0.02) });
  const lnf = new nn.LayerNorm(g, 'ln_f', C);
  const head = new nn.Linear(g, 'lm_head', C, V, rng, { bias: false, init: nn.init.normal(rng, 0.02) });
  const logits = head.forward(lnf.forward(block.forward(wte.forward(ids), B, T)));
  const [loss] = g.apply('cross_entropy', [logits, targets], { ignoreIndex: -100 });
  const trainer = await optim.Trainer.create(ctx, g, loss!, { kind: 'adamw', lr: 1e-3 }, { clip: 1 });
  const data = new Rng(2);
  const batch = (): Record<string, Int32Array> => ({
    ids: Int32Array.from({ length: B * T }, () => data.int(V)),
    targets: Int32Array.from({ length: B * T }, () => data.int(V)),
  });
  await trainer.run(batch(), [trainer.loss]); // warm-up: pipelines compiled, buffers made
  const profiler = new gpu.Profiler(ctx);
  const button = $('run') as HTMLButtonElement;
  const profile = async (): Promise<gpu.KernelRow[]> => {
    button.disabled = true;
    profiler.reset();
    const steps = Math.max(1, Math.min(100, Number(($('steps') as HTMLInputElement).value) || 5));
    for (let i = 0; i < steps; i++) {
      $('status').textContent = `step ${i + 1}/${steps}…`;
      const [l] = await trainer.run(batch(), [trainer.loss], profiler);
      $('status').textContent = `step ${i + 1}/${steps}: loss ${l![0]!.toFixed(4)}`;
    }
    await profiler.collect();
    const rows = profiler.table();
    show(rows);
    button.disabled = false;
    return rows;
  };
  button.addEventListener('click', () => void profile());
  const rows = await profile();
  (window as unknown as { __demo: unknown }).__demo = { rows, commands: trainer.executor.commandCount };
  document.body.dataset.ready = '1';
}

main().catch((e: Error) => {
  $('status').textContent = `error: ${e.message}`;
  console.error(e);
});
