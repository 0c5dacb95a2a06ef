/**
 * @largebatch/optim/pure: the update rules and the functional steps over flat
 * Float32Arrays, without the native addon, for any JS project (TF.js included).
 */
export { NonFiniteGradientError, OptimizerArgumentError, OptimizerOptionError } from './errors';
export { larsHyper, sgdHyper, type LarsHyper, type LarsOptions, type LarsVariant, type SgdHyper, type SgdOptions } from './options';
export * from './rules/index';
export { createOptimizerState, larsStep, sgdStep, type LarsStepOptions, type OptimizerState, type StepNames } from './functional';
