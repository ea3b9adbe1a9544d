// Checkpoints: parameters + optimizer state + config + progress → three files → back, exactly;
// the file contents follow the documented layout; bad input and mismatched or corrupt files
// are refused with a CheckpointError naming the problem; the browser helpers work on stubs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHECKPOINT_FILES,
  CheckpointError,
  buildCheckpoint,
  crc32,
  downloadCheckpoint,
  parseCheckpoint,
  readCheckpointFiles,
  type Checkpoint,
} from '../../src/io/checkpoint';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { Rng, randomArray } from '../../src/util/prng';

function sample(seed = 1): Checkpoint {
  const rng = new Rng(seed);
  for (let i = 0; i < 5; i++) rng.next();
  return {
    params: {
      'h.0.attn.w': { shape: [3, 5], data: randomArray(15, seed) },
      'h.0.attn.b': { shape: [5], data: randomArray(5, seed + 1) },
      scale: { shape: [], data: new Float32Array([0.5]) },
      unused: { shape: [0, 4], data: new Float32Array(0) },
    },
    optimizer: {
      name: 'adamw',
      slots: {
        'h.0.attn.w': {
          m: { shape: [3, 5], data: randomArray(15, seed + 2) },
          v: { shape: [3, 5], data: randomArray(15, seed + 3, 0, 1) },
        },
        'h.0.attn.b': {
          m: { shape: [5], data: randomArray(5, seed + 4) },
          v: { shape: [5], data: randomArray(5, seed + 5, 0, 1) },
        },
      },
      scalars: { step: 12, lr: 3e-4, beta1_power: 0.9 ** 12 },
    },
    config: { model: 'gpt', nLayer: 1, dModel: 5, vocab: ['a', 'b'], dropout: 0.1, tied: true, note: null },
    progress: { step: 12, epoch: 0, rng: rng.state(), losses: [4.1, 3.9] },
  };
}

const ckRejects = (f: () => unknown, message: RegExp): void => {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected a CheckpointError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
};

test('checkpoint round trip: params, optimizer slots and scalars, config and progress come back exactly', () => {
  const ck = sample();
  const files = buildCheckpoint(ck);
  assert.deepEqual(Object.keys(files), [...CHECKPOINT_FILES]);
  const back = parseCheckpoint(files);
  assert.deepEqual(
    back.params,
    Object.fromEntries(Object.entries(ck.params).map(([k, p]) => [k, { shape: [...p.shape], data: p.data }])),
  );
  assert.deepEqual(back.optimizer.name, 'adamw');
  assert.deepEqual(back.optimizer.scalars, ck.optimizer.scalars);
  assert.deepEqual(back.optimizer.slots, ck.optimizer.slots);
  assert.deepEqual(back.config, ck.config);
  assert.deepEqual(back.progress, ck.progress);
  // the RNG resumes where it stopped
  const st = back.progress['rng'] as { seed: number; stream: number; counter: number };
  const resumed = new Rng(st.seed, st.stream);
  resumed.counter = st.counter;
  const orig = new Rng(1);
  for (let i = 0; i < 5; i++) orig.next();
  assert.equal(resumed.next(), orig.next());
});

test('checkpoint files: safetensors with names as given, "<param>.<slot>" state, 0-d F64 scalars, pretty config.json', () => {
  const ck = sample();
  const files = buildCheckpoint(ck);
  const model = loadSafetensors(files['model.safetensors']);
  assert.deepEqual([...model.tensors.keys()].sort(), Object.keys(ck.params).sort());
  assert.equal(model.tensors.get('h.0.attn.w')!.dtype, 'F32');
  assert.deepEqual(model.metadata, { shadergrad: '1', kind: 'model' });
  const opt = loadSafetensors(files['optimizer.safetensors']);
  assert.deepEqual([...opt.tensors.keys()].sort(), [
    'beta1_power',
    'h.0.attn.b.m',
    'h.0.attn.b.v',
    'h.0.attn.w.m',
    'h.0.attn.w.v',
    'lr',
    'step',
  ]);
  assert.deepEqual(opt.tensors.get('step'), { dtype: 'F64', shape: [], data: new Float64Array([12]) });
  assert.equal(opt.metadata['optimizer'], 'adamw');
  const text = new TextDecoder().decode(files['config.json']);
  assert.ok(text.endsWith('}\n') && text.includes('\n  "format": "shadergrad-checkpoint",'));
  const cfg = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(cfg['params'], { 'h.0.attn.w': [3, 5], 'h.0.attn.b': [5], scale: [], unused: [0, 4] });
  assert.deepEqual(cfg['crc32'], {
    'model.safetensors': crc32(files['model.safetensors']),
    'optimizer.safetensors': crc32(files['optimizer.safetensors']),
  });
  // deterministic bytes
  assert.deepEqual(buildCheckpoint(sample()), files);
});

test('checkpoint: CRC-32 is the IEEE one (check value of "123456789" is 0xCBF43926)', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('checkpoint: a parameter named "__proto__" and names with dots round-trip', () => {
  const ck = sample();
  const params = { ...ck.params };
  Object.defineProperty(params, '__proto__', { value: { shape: [1], data: new Float32Array([7]) }, enumerable: true });
  const slots = { ...ck.optimizer.slots };
  Object.defineProperty(slots, '__proto__', {
    value: { m: { shape: [1], data: new Float32Array([8]) } },
    enumerable: true,
  });
  const back = parseCheckpoint(buildCheckpoint({ ...ck, params, optimizer: { ...ck.optimizer, slots } }));
  assert.ok(Object.hasOwn(back.params, '__proto__'));
  assert.deepEqual(back.params['__proto__']!.data, new Float32Array([7]));
  assert.deepEqual(back.optimizer.slots['__proto__']!['m']!.data, new Float32Array([8]));
  assert.equal(Object.getPrototypeOf(back.params), Object.prototype);
});

test('checkpoint build rejects what JSON or the layout cannot hold, naming where', () => {
  const ck = sample();
  ckRejects(
    () => buildCheckpoint({ ...ck, config: { ...ck.config, lr: NaN } }),
    /config\.lr is NaN, which JSON cannot hold/,
  );
  ckRejects(() => buildCheckpoint({ ...ck, config: { a: [1, undefined as never] } }), /config\.a\[1\] is a undefined/);
  ckRejects(
    () => buildCheckpoint({ ...ck, config: { when: new Date() as never } }),
    /config\.when is a Date, not a plain JSON object/,
  );
  ckRejects(() => buildCheckpoint({ ...ck, config: { big: 1n as never } }), /config\.big is a bigint/);
  const cyc: Record<string, unknown> = {};
  cyc['self'] = cyc;
  ckRejects(() => buildCheckpoint({ ...ck, config: cyc as never }), /config\.self refers back to itself/);
  ckRejects(() => buildCheckpoint({ ...ck, config: [] as never }), /config must be a JSON object/);
  ckRejects(
    () => buildCheckpoint({ ...ck, progress: { step: -1 } }),
    /progress\.step is -1, not a non-negative integer/,
  );
  ckRejects(() => buildCheckpoint({ ...ck, progress: { step: 1, t: Infinity } }), /progress\.t is Infinity/);
  ckRejects(
    () => buildCheckpoint({ ...ck, params: { w: { shape: [1], data: [1] as never } } }),
    /parameter "w" data must be a Float32Array/,
  );
  const opt = ck.optimizer;
  ckRejects(
    () => buildCheckpoint({ ...ck, optimizer: { ...opt, slots: { ghost: {} } } }),
    /optimizer state for "ghost", which is not a parameter/,
  );
  ckRejects(
    () =>
      buildCheckpoint({
        ...ck,
        optimizer: { ...opt, slots: { scale: { 'm.x': { shape: [], data: new Float32Array(1) } } } },
      }),
    /slot name "m\.x" is not an identifier/,
  );
  ckRejects(
    () => buildCheckpoint({ ...ck, optimizer: { ...opt, scalars: { 'a.b': 1 } } }),
    /scalar name "a\.b" is not an identifier/,
  );
  ckRejects(
    () => buildCheckpoint({ ...ck, optimizer: { ...opt, scalars: { t: NaN } } }),
    /optimizer scalar t is NaN, not a finite number/,
  );
  // a shape that does not match its data is the safetensors writer's error
  assert.throws(
    () =>
      buildCheckpoint({
        ...ck,
        params: { w: { shape: [2, 2], data: new Float32Array(3) } },
        optimizer: { ...opt, slots: {} },
      }),
    /tensor "w": data has 3 elements but the shape holds 4/,
  );
});

test('checkpoint parse rejects missing, corrupt, mixed and wrong-version files', () => {
  const a = buildCheckpoint(sample(1));
  const b = buildCheckpoint({
    ...sample(2),
    params: { ...sample(2).params, extra: { shape: [1], data: new Float32Array(1) } },
  });
  const { ['optimizer.safetensors']: _, ...noOpt } = a;
  void _;
  ckRejects(() => parseCheckpoint(noOpt), /missing file optimizer\.safetensors/);
  const flipped = a['model.safetensors'].slice();
  flipped[flipped.length - 1]! ^= 1; // a flipped bit in the data: only the CRC can see it
  ckRejects(
    () => parseCheckpoint({ ...a, 'model.safetensors': flipped }),
    /model\.safetensors has CRC-32 \d+, config\.json records \d+: the file is corrupt or from another checkpoint/,
  );
  ckRejects(
    () => parseCheckpoint({ ...a, 'model.safetensors': b['model.safetensors'] }),
    /model\.safetensors has CRC-32/,
  );
  // without the CRC check, the manifest still catches a model from another run
  ckRejects(
    () => parseCheckpoint({ ...a, 'model.safetensors': b['model.safetensors'] }, { verifyCrc: false }),
    /model\.safetensors holds \[.*extra.*\], config\.json lists/,
  );
  // a truncated file is reported through CheckpointError with the safetensors detail
  ckRejects(
    () =>
      parseCheckpoint(
        { ...a, 'optimizer.safetensors': a['optimizer.safetensors'].subarray(0, 50) },
        { verifyCrc: false },
      ),
    /optimizer\.safetensors: safetensors: header length \d+ runs past the end/,
  );
  const cfg = (o: object): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
  const meta = JSON.parse(new TextDecoder().decode(a['config.json'])) as Record<string, unknown>;
  ckRejects(
    () => parseCheckpoint({ ...a, 'config.json': cfg({ ...meta, version: 2 }) }),
    /config\.json has version 2; this build reads version 1/,
  );
  ckRejects(
    () => parseCheckpoint({ ...a, 'config.json': cfg({ ...meta, format: 'x' }) }),
    /config\.json is not a shadergrad-checkpoint file/,
  );
  ckRejects(
    () => parseCheckpoint({ ...a, 'config.json': cfg({ ...meta, progress: {} }) }),
    /"progress" lacks an integer step/,
  );
  ckRejects(
    () => parseCheckpoint({ ...a, 'config.json': cfg({ ...meta, params: { w: [-1] } }) }),
    /"params" is not a map from name to shape/,
  );
  ckRejects(
    () => parseCheckpoint({ ...a, 'config.json': new Uint8Array([0x7b, 0xff]) }),
    /config\.json is not valid UTF-8 JSON/,
  );
  ckRejects(
    () =>
      parseCheckpoint({ ...a, 'config.json': cfg({ ...meta, params: { ...(meta['params'] as object), scale: [1] } }) }),
    /parameter "scale" has shape \[\], config\.json says \[1\]/,
  );
});

test('checkpoint parse rejects optimizer state that belongs to no parameter or has the wrong dtype', () => {
  const a = buildCheckpoint(sample());
  const orphan = saveSafetensors({ 'nope.m': { dtype: 'F32', shape: [1], data: [0] } });
  ckRejects(
    () => parseCheckpoint({ ...a, 'optimizer.safetensors': orphan }, { verifyCrc: false }),
    /optimizer state "nope\.m" belongs to no parameter/,
  );
  const badScalar = saveSafetensors({ step: { dtype: 'F32', shape: [], data: [1] } });
  ckRejects(
    () => parseCheckpoint({ ...a, 'optimizer.safetensors': badScalar }, { verifyCrc: false }),
    /optimizer scalar "step" is F32 \[\], not a 0-d F64/,
  );
  const halfState = saveSafetensors({ 'scale.m': { dtype: 'F16', shape: [], data: [1] } });
  ckRejects(
    () => parseCheckpoint({ ...a, 'optimizer.safetensors': halfState }, { verifyCrc: false }),
    /optimizer state "scale\.m" is F16, expected F32/,
  );
});

test('checkpoint browser helpers: downloadCheckpoint clicks one anchor per file; readCheckpointFiles matches suffixes', async () => {
  const files = buildCheckpoint(sample());
  ckRejects(() => downloadCheckpoint(files), /needs a browser page/);

  // stub just enough of a page
  const clicked: { href: string; download: string }[] = [];
  const timers: (() => void)[] = [];
  const revoked: string[] = [];
  const g = globalThis as Record<string, unknown>;
  const saved = {
    document: g['document'],
    setTimeout: g['setTimeout'],
    create: URL.createObjectURL,
    revoke: URL.revokeObjectURL,
  };
  let n = 0;
  const blobs: Blob[] = [];
  g['document'] = {
    body: { appendChild: () => undefined },
    createElement: () => {
      const a = {
        href: '',
        download: '',
        style: {},
        click: () => clicked.push({ href: a.href, download: a.download }),
        remove: () => undefined,
      };
      return a;
    },
  };
  g['setTimeout'] = (f: () => void) => timers.push(f);
  URL.createObjectURL = (b: Blob) => (blobs.push(b), `blob:${n++}`);
  URL.revokeObjectURL = (u: string) => void revoked.push(u);
  try {
    downloadCheckpoint(files, 'run3-');
    assert.deepEqual(revoked, [], 'revoked before the download could start');
    timers.forEach((f) => f());
  } finally {
    g['document'] = saved.document;
    g['setTimeout'] = saved.setTimeout;
    URL.createObjectURL = saved.create;
    URL.revokeObjectURL = saved.revoke;
  }
  assert.deepEqual(
    clicked,
    CHECKPOINT_FILES.map((f, i) => ({ href: `blob:${i}`, download: `run3-${f}` })),
  );
  assert.equal(blobs[2]!.type, 'application/json');
  assert.deepEqual(new Uint8Array(await blobs[0]!.arrayBuffer()), files['model.safetensors']);
  assert.deepEqual(revoked, ['blob:0', 'blob:1', 'blob:2']);

  const chosen = CHECKPOINT_FILES.map((f) => new File([files[f] as Uint8Array<ArrayBuffer>], `run3-${f}`)).reverse();
  const read = await readCheckpointFiles(chosen);
  assert.deepEqual(read, files);
  await assert.rejects(readCheckpointFiles(chosen.slice(1)), /no chosen file ends in/);
  await assert.rejects(readCheckpointFiles([...chosen, chosen[0]!]), /two files end in/);
});
