/**
 * @largebatch/optim: SGD and LARS. The pure layer: update rules over flat Float32Arrays
 * (optax style) and functional steps `sgdStep` / `larsStep`, usable from any JS project.
 */
export { NonFiniteGradientError, OptimizerArgumentError, OptimizerOptionError } from './errors';
export { larsHyper, sgdHyper, type LarsHyper, type LarsOptions, type LarsVariant, type SgdHyper, type SgdOptions } from './options';
export * from './rules/index';
export { createOptimizerState, larsStep, sgdStep, type LarsStepOptions, type OptimizerState, type StepNames } from './functional';
