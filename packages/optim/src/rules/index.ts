// The pure update rules over flat Float32Arrays (usable without @largebatch/tensor).
export { l2Norm, allFinite } from './norm';
export { addDecayedWeights } from './add-decayed-weights';
export { applyUpdate, scaleByLearningRate } from './scale';
export { trace, type TraceOptions } from './trace';
export { scaleByTrustRatio, trustRatio, type TrustRatioOptions } from './trust-ratio';
export { larsPaperTensorStep, larsStudyTensorStep, sgdTensorStep, type TensorStepResult } from './tensor-steps';
