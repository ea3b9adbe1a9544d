// The classic lessons: the perceptron rule on logic gates, XOR with an MLP, gradient descent on
// y = a·x, and their defaults tables. Exported from src/index.ts as `classic`.
export {
  GATE_INPUTS,
  GATE_TARGETS,
  TIE_TOL,
  buildPerceptronGraph,
  Perceptron,
  runPerceptron,
  classify,
  perceptronByHand,
  type Gate,
  type PerceptronOptions,
  type PerceptronUpdate,
  type PerceptronRun,
  type PerceptronRunOptions,
} from './perceptron';
export {
  XOR_X,
  XOR_T,
  bceWithLogits,
  buildXorMlp,
  xorAccuracy,
  XorMlp,
  trainXor,
  LINE_X,
  LINE_Y,
  buildLineFit,
  fitLine,
  type XorMlpOptions,
  type XorStep,
  type XorRunOptions,
  type LineStep,
  type LineFitOptions,
} from './mlp';
export { PERCEPTRON_DEFAULTS, MLP_DEFAULTS, LINE_FIT_DEFAULTS } from './defaults';
