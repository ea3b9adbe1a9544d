// Lazy parameter init (Graph.param with an init function): the values are those of running every
// init at once in creation order, whichever param is read first, and a graph whose params are
// never read never runs them (an inference graph borrowing a trainer's weights).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, isOp } from '../../src/graph/graph';
import { Rng } from '../../src/util/prng';
import { normal } from '../../src/nn/init';
import { ShapeError } from '../../src/util/errors';

function build(calls: string[]): Graph {
  const g = new Graph();
  const rng = new Rng(4);
  for (const [name, n] of [
    ['a', 5],
    ['b', 3],
    ['c', 4],
  ] as const)
    g.param(name, [n], (k) => {
      calls.push(name);
      return normal(rng, 1)(k);
    });
  return g;
}

const init = (g: Graph, name: string): Float32Array => {
  const n = g.params.get(name)!.node;
  assert.ok(isOp(n, 'param'));
  return n.attrs.init;
};

test('graph: lazy inits run in creation order on first read, and never for a graph nobody reads', () => {
  const calls: string[] = [];
  const first = build(calls);
  assert.deepEqual(calls, [], 'nothing runs when the graph is built');
  const c = init(first, 'c'); // read the last one first: a and b still draw first
  assert.deepEqual(calls, ['a', 'b', 'c']);
  const rng = new Rng(4);
  const eager = [5, 3, 4].map((n) => normal(rng, 1)(n));
  assert.deepEqual(init(first, 'a'), eager[0]);
  assert.deepEqual(c, eager[2]);
  assert.equal(calls.length, 3, 'each init runs once');
});

test('graph: a lazy init of the wrong length is refused naming the param', () => {
  const g = new Graph();
  g.param('w', [2, 3], () => new Float32Array(5));
  assert.throws(
    () => init(g, 'w'),
    (e: unknown) => e instanceof ShapeError && /"w" \[2, 3\] needs 6 initial values, got 5/.test(e.message),
  );
});
