// The runtime in a real browser: readable compile errors (file:line:col, constants, op),
// validation before dispatch (bindings, uniforms, limits), uncaptured errors surfaced to the
// caller, buffer reuse by the pool, tensor round trips and the timestamp profiler.
import { test } from '../harness/gpu';
import { assert, assertEqual } from '../harness/assert';
import { upload } from '../harness/util';
import { registerShader } from '../../src/gpu/shaders';
import { Recorder } from '../../src/gpu/recorder';
import { Profiler, formatTable } from '../../src/gpu/profiler';
import { emptyTensor } from '../../src/gpu/tensor';
import { dropoutForward } from '../../src/ops/dropout';
import { LimitError, ShaderCompileError } from '../../src/util/errors';

async function rejects(
  p: Promise<unknown> | (() => unknown),
  check: (e: Error) => boolean,
  what: string,
): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert(check(e as Error), `${what}: wrong error: ${(e as Error).message}`);
    return e as Error;
  }
  throw new Error(`${what}: no error was thrown`);
}

test('a shader compile error names the file, line, column, constants and op', async ({ ctx }) => {
  registerShader(
    'broken_for_test',
    '//!include random.wgsl\n// line 2\noverride WG: u32 = 8;\n@compute @workgroup_size(WG, 1, 1)\nfn main() {\n  let x: f32 = undefined_thing;\n}\n',
  );
  const e = await rejects(
    ctx.pipelines.get({ shader: 'broken_for_test', entry: 'main', constants: { WG: 4 } }, 'my_op'),
    (e) => e instanceof ShaderCompileError,
    'compile error',
  );
  assert(/shaders\/broken_for_test\.wgsl:6:\d+: error:/.test(e.message), `no file:line:col in: ${e.message}`);
  assert(e.message.includes('"WG":4') && e.message.startsWith('my_op:'), `constants or op missing: ${e.message}`);
  await rejects(
    ctx.pipelines.get({ shader: 'dropout', entry: 'dropout_fwd', constants: { NOPE: 1 } }, 'dropout'),
    (e) => /constant "NOPE" is not an override/.test(e.message),
    'unknown constant',
  );
  ctx.takeErrors();
});

test('pipelines are cached by shader, entry and constants', async ({ ctx }) => {
  const a = await ctx.pipelines.get({ shader: 'dropout', entry: 'dropout_fwd' });
  const b = await ctx.pipelines.get({ shader: 'dropout', entry: 'dropout_fwd' });
  const c = await ctx.pipelines.get({ shader: 'dropout', entry: 'dropout_fwd', constants: { WG: 32 } });
  assert(a === b, 'same key, same pipeline');
  assert(a !== c, 'different constants, different pipeline');
  assertEqual(c.workgroupSize[0], 32, 'workgroup size follows the WG constant');
});

test('dispatch validation: missing or unknown bindings and uniforms fail before encoding', async ({ ctx }) => {
  const k = await ctx.pipelines.get({ shader: 'dropout', entry: 'dropout_fwd' });
  const x = upload(ctx, [1, 2, 3], [3]);
  const rec = new Recorder(ctx);
  const u = { n: 3, key: 1, p: 0, scale: 1 };
  await rejects(
    () => rec.dispatch({ kernel: k, op: 'dropout', bindings: { x }, uniforms: u, workgroups: 1 }),
    (e) => /binding "y" was not given/.test(e.message),
    'missing binding',
  );
  await rejects(
    () => rec.dispatch({ kernel: k, op: 'dropout', bindings: { x, y: x, z: x }, uniforms: u, workgroups: 1 }),
    (e) => /binding "z" is not used/.test(e.message),
    'unknown binding',
  );
  await rejects(
    () => rec.dispatch({ kernel: k, op: 'dropout', bindings: { x, y: x }, uniforms: { n: 3 }, workgroups: 1 }),
    (e) => /uniform field "key" of params was not given/.test(e.message),
    'missing uniform',
  );
  await rejects(
    () => rec.dispatch({ kernel: k, op: 'dropout', bindings: { x, y: x }, uniforms: u, workgroups: [70000, 1, 1] }),
    (e) => e instanceof LimitError,
    'grid limit',
  );
  assertEqual(rec.dispatches, 0, 'nothing was encoded');
  rec.submit();
  x.release();
});

test('a tensor past maxStorageBufferBindingSize is rejected naming the limit and the tensor', async ({ ctx }) => {
  const lim = ctx.limits.maxStorageBufferBindingSize;
  const before = ctx.counters.buffers;
  const e = await rejects(
    () => emptyTensor(ctx, [lim / 4 + 1], 'f32', 'huge_activations'),
    (e) => e instanceof LimitError,
    'size limit',
  );
  assert(e.message.includes('maxStorageBufferBindingSize') && e.message.includes('huge_activations'), e.message);
  assertEqual(ctx.counters.buffers, before, 'no buffer was created');
});

test('uncaptured WebGPU errors reach the caller', async ({ ctx }) => {
  const seen: string[] = [];
  const off = ctx.onError((e) => seen.push(e.message));
  // MAP_READ may only be combined with COPY_DST: a validation error nobody scoped.
  ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
  await ctx.device.queue.onSubmittedWorkDone();
  for (let i = 0; i < 20 && !seen.length; i++) await new Promise((r) => setTimeout(r, 10));
  off();
  const errs = ctx.takeErrors();
  assert(seen.length === 1 && errs.length === 1, `listener saw ${seen.length}, takeErrors ${errs.length}`);
  assert(/GPUValidationError/.test(seen[0]!), seen[0]!);
});

test('the pool reuses a released buffer of the same size class', async ({ ctx }) => {
  const a = emptyTensor(ctx, [1000], 'f32', 'a');
  const buf = a.buffer;
  a.release();
  const before = ctx.counters.buffers;
  const b = emptyTensor(ctx, [990], 'f32', 'b');
  assert(b.buffer === buf, 'same buffer back');
  assertEqual(ctx.counters.buffers, before, 'no new buffer');
  assertEqual(b.buffer.label, 'b', 'relabelled for its new owner');
  b.release();
});

test('tensors round-trip f32, i32 and u32 exactly', async ({ ctx }) => {
  const f = upload(ctx, [1.5, -2.25, 3e-8], [3], 'f32');
  const i = upload(ctx, [-7, 0, 2147483647], [3], 'i32');
  const u = upload(ctx, [0, 1, 4294967295], [3], 'u32');
  assertEqual([...(await f.read())].join(), [1.5, -2.25, Math.fround(3e-8)].join(), 'f32');
  assertEqual([...(await i.read())].join(), '-7,0,2147483647', 'i32');
  assertEqual([...(await u.read())].join(), '0,1,4294967295', 'u32');
  const e = upload(ctx, [], [0, 5], 'f32');
  assertEqual((await e.read()).length, 0, 'empty tensor');
  for (const t of [f, i, u, e]) t.release();
});

test('the profiler times each dispatch and builds a per-kernel table with GFLOP/s and GB/s', async ({ ctx }) => {
  assert(ctx.features.timestampQuery, 'this adapter should expose timestamp-query');
  const prof = new Profiler(ctx);
  const n = 1 << 16;
  const x = upload(ctx, new Float32Array(n).fill(1), [n]);
  const rec = new Recorder(ctx, { profiler: prof });
  const y1 = await dropoutForward(rec, x, { p: 0.5, seed: 1, step: 1 });
  const y2 = await dropoutForward(rec, x, { p: 0.5, seed: 1, step: 2 });
  rec.submit();
  const timings = await prof.collect();
  assertEqual(timings.length, 2, 'one timing per dispatch');
  const rows = prof.table();
  assertEqual(rows.length, 1, 'one kernel');
  assertEqual(rows[0]!.calls, 2, 'calls');
  assert(rows[0]!.totalMs > 0 && rows[0]!.gbps > 0, `table row ${JSON.stringify(rows[0])}`);
  assert(formatTable(rows).includes('dropout:dropout.dropout_fwd'), formatTable(rows));
  const measures = performance.getEntriesByType('measure').filter((m) => m.name.startsWith('dropout '));
  assert(measures.length >= 2, 'kernel spans appear as performance.measure entries');
  prof.destroy();
  for (const t of [x, y1, y2]) t.release();
});
