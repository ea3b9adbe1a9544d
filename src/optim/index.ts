// Training: the Trainer (optimizer, clipping, checkpoints) and learning-rate schedules
// (src/index.ts exports them as `optim`).
export { Trainer, type OptimizerSpec, type TrainerOptions } from './trainer';
export { constantLr, warmupCosine, type Schedule } from './schedule';
