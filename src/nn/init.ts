// Seeded initializers. Each returns a function n → Float32Array so a Graph param can be filled
// from it; the same seed gives the same values on every machine.
import { Rng } from '../util/prng';

export type Init = (n: number) => Float32Array;

/** N(0, std²), e.g. GPT-2 / nanoGPT's std = 0.02. */
export function normal(rng: Rng, std: number, mean = 0): Init {
  return (n) => Float32Array.from({ length: n }, () => mean + std * rng.normal());
}

/** U(−bound, bound). PyTorch's nn.Linear default is bound = 1/√fan_in (kaiming_uniform with a = √5). */
export function uniform(rng: Rng, bound: number): Init {
  return (n) => Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
}

/** Glorot/Xavier uniform: bound = √(6 / (fan_in + fan_out)). */
export function xavier(rng: Rng, fanIn: number, fanOut: number): Init {
  return uniform(rng, Math.sqrt(6 / (fanIn + fanOut)));
}

export function constant(value: number): Init {
  return (n) => new Float32Array(n).fill(value);
}

export const zeros: Init = constant(0);
export const ones: Init = constant(1);
