// The classic lessons' defaults, one table per model: the perceptron (the lesson's numbers), the
// XOR MLP, and gradient descent on y = a·x. perceptron.ts and mlp.ts, the train CLI's flags
// (scripts/lib/flags.ts), the train jobs (demos/train/jobs.ts) and the perceptron page read them.

/**
 * The perceptron lesson: η = 0.1, w = (0.3, −0.1), b = 0.2, on the AND gate; epochs until one
 * makes no error, at most maxEpochs; the CLI's --steps (updates, run in whole epochs of four).
 */
export const PERCEPTRON_DEFAULTS = {
  gate: 'and',
  eta: 0.1,
  w: [0.3, -0.1],
  b: 0.2,
  maxEpochs: 50,
  steps: 200,
} as const;

/** XOR with a 2-H-1 MLP: Adam's learning rate, hidden units, most steps, and the early stop (all four right, loss below stopLoss). */
export const MLP_DEFAULTS = { seed: 1, lr: 0.1, hidden: 2, steps: 500, stopLoss: 0.05 } as const;

/** Gradient descent on y = a·x from a = a0 (it converges for lr < 1/6). */
export const LINE_FIT_DEFAULTS = { a0: 2, lr: 0.02, steps: 40 } as const;
