// The tuning table (src/gpu/tuning.ts): the class and defaults derived from adapter facts, and
// overrides from a `key=value,…` string or typed values, with errors naming the key and the
// allowed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adapterClass,
  classDefaults,
  deriveTuning,
  formatTuning,
  parseTuning,
  tuningString,
  tuningValues,
  TUNING_KEYS,
  type TuningFacts,
} from '../../src/gpu/tuning';
import { InputError } from '../../src/util/errors';

const SWIFTSHADER: TuningFacts = {
  name: 'google swiftshader',
  architecture: 'swiftshader',
  isFallback: false,
  subgroups: true,
  subgroupMinSize: 4,
  subgroupMaxSize: 4,
};
const SWIFTSHADER_NO_SUBGROUPS: TuningFacts = { ...SWIFTSHADER, subgroups: false };
const NVIDIA: TuningFacts = {
  name: 'nvidia ampere',
  architecture: 'ampere',
  isFallback: false,
  subgroups: true,
  subgroupMinSize: 32,
  subgroupMaxSize: 32,
};
const LAVAPIPE: TuningFacts = {
  name: 'mesa llvmpipe (LLVM 15)',
  architecture: '',
  isFallback: false,
  subgroups: false,
  subgroupMinSize: 0,
  subgroupMaxSize: 0,
};
const FALLBACK: TuningFacts = { ...NVIDIA, name: 'some adapter', isFallback: true };

test('the adapter class comes from the facts: software adapters are cpu, the rest gpu', () => {
  assert.equal(adapterClass(SWIFTSHADER), 'cpu');
  assert.equal(adapterClass(LAVAPIPE), 'cpu');
  assert.equal(adapterClass(FALLBACK), 'cpu');
  assert.equal(adapterClass({ name: 'Microsoft Basic Render Driver', architecture: '', isFallback: false }), 'cpu');
  assert.equal(adapterClass(NVIDIA), 'gpu');
});

test('defaults by class: matmul variant by subgroup facts, one thread per row on cpu', () => {
  const sw = deriveTuning(SWIFTSHADER);
  assert.equal(sw.class, 'cpu');
  assert.equal(sw['matmul.variant'], 'subgroup');
  assert.equal(sw.facts.subgroupsOf4, true);
  assert.equal(sw['softmax.threads'], 1);
  assert.equal(sw['layernorm.threads'], 1);
  assert.equal(sw['cross_entropy.threads'], 1);
  assert.deepEqual(sw.overridden, []);
  const noSg = deriveTuning(SWIFTSHADER_NO_SUBGROUPS);
  assert.equal(noSg['matmul.variant'], 'register');
  assert.equal(noSg.facts.subgroupsOf4, false);
  const gpu = deriveTuning(NVIDIA);
  assert.equal(gpu.class, 'gpu');
  assert.equal(gpu['matmul.variant'], 'shared');
  assert.equal(gpu.facts.subgroupsOf4, false, 'subgroups of 32 are not the 4 the subgroup kernel needs');
  assert.equal(gpu['softmax.threads'], 'auto');
  assert.equal(gpu['cross_entropy.threads'], 'auto');
  // the constants that were per-launcher literals keep their values on both classes
  for (const t of [sw, gpu]) {
    assert.deepEqual(
      [
        t['matmul.shared.wgX'],
        t['matmul.shared.wgY'],
        t['matmul.register.rm'],
        t['matmul.subgroup.rm'],
        t['matmul.subgroup.wgY'],
        t['reduce.wg'],
        t['reduce.itemsMin'],
        t['reduce.itemsMax'],
        t['reduce.targetThreads'],
        t['reduce.rowsPer'],
      ],
      [16, 16, 2, 8, 1, 256, 16, 256, 16384, 64],
    );
    assert.deepEqual(
      [
        t['attention.wg'],
        t['attention.bk'],
        t['attention.bkTiled'],
        t['attention.tile'],
        t['embedding.wg'],
        t['optimizer.wg'],
        t['optimizer.per'],
        t['softmax.wg'],
        t['layernorm.colsWg'],
      ],
      [64, 64, 16, false, 64, 64, 4, 64, 64],
    );
  }
});

test('overrides from a string: values parsed and checked, later sources win, overridden keys listed', () => {
  assert.deepEqual(parseTuning(' matmul.variant=register , softmax.threads=64,,attention.tile=true'), {
    'matmul.variant': 'register',
    'softmax.threads': 64,
    'attention.tile': true,
  });
  const t = deriveTuning(SWIFTSHADER, 'matmul.variant=register,softmax.threads=64', {
    'softmax.threads': 'auto',
    'reduce.rowsPer': 32,
  });
  assert.equal(t['matmul.variant'], 'register');
  assert.equal(t['softmax.threads'], 'auto');
  assert.equal(t['reduce.rowsPer'], 32);
  assert.deepEqual([...t.overridden].sort(), ['matmul.variant', 'reduce.rowsPer', 'softmax.threads']);
  assert.match(formatTuning(t), /matmul\.variant\s+register {2}\(override\)/);
  assert.match(formatTuning(t), /^tuning for google swiftshader \(class cpu; subgroups of 4: yes\)/);
  // an empty string or undefined changes nothing
  assert.deepEqual(tuningValues(deriveTuning(NVIDIA, '', undefined)), classDefaults('gpu', false));
});

test('class=… picks the other class defaults before the other keys apply', () => {
  const t = deriveTuning(SWIFTSHADER, 'class=gpu');
  assert.equal(t['matmul.variant'], 'shared');
  assert.equal(t['softmax.threads'], 'auto');
  const u = deriveTuning(NVIDIA, 'softmax.threads=1,class=cpu');
  assert.equal(u['matmul.variant'], 'register', 'no subgroups of 4 on this adapter');
  assert.equal(u['softmax.threads'], 1);
});

test('the string form of a table reproduces it', () => {
  const t = deriveTuning(SWIFTSHADER, 'matmul.register.wgX=4,attention.bk=32');
  const again = deriveTuning(SWIFTSHADER, tuningString(t));
  assert.deepEqual(tuningValues(again), tuningValues(t));
  assert.equal(tuningString(t).split(',').length, TUNING_KEYS.length);
});

test('unknown keys and bad values throw an InputError naming the key and the allowed values', () => {
  const bad = (o: string | Record<string, unknown>, re: RegExp): void => {
    assert.throws(
      () => deriveTuning(SWIFTSHADER, o as string),
      (e: Error) => e instanceof InputError && re.test(e.message),
      `${JSON.stringify(o)} should fail with ${re}`,
    );
  };
  bad('matmul.varient=register', /tuning: unknown key "matmul\.varient" \(keys: class, matmul\.variant, /);
  bad('matmul.variant=fast', /tuning: matmul\.variant must be one of shared, register, subgroup, got "fast"/);
  bad('softmax.threads=3', /softmax\.threads must be 'auto' or a power of two in \[1, 256\], got "3"/);
  bad('softmax.threads=512', /softmax\.threads must be 'auto' or a power of two/);
  bad('reduce.wg=100', /reduce\.wg must be a power of two in \[32, 256\], got "100"/);
  bad('matmul.shared.tk=6', /matmul\.shared\.tk must be a multiple of 4 in \[4, 64\]/);
  bad('attention.tile=yes', /attention\.tile must be true or false/);
  bad('class=tpu', /class must be one of cpu, gpu/);
  bad('softmax.threads', /"softmax\.threads" is not key=value/);
  bad({ 'optimizer.per': 2.5 }, /optimizer\.per must be an integer in \[1, 16\], got 2\.5/);
  bad({ 'no.such': 1 }, /unknown key "no\.such"/);
  bad('reduce.itemsMin=300', /reduce\.itemsMin \(300\) must not exceed reduce\.itemsMax \(256\)/);
  assert.throws(
    () => deriveTuning(NVIDIA, 'matmul.variant=subgroup'),
    /matmul\.variant=subgroup needs subgroups of exactly 4 lanes; this adapter \(nvidia ampere\) has none/,
  );
});
