/**
 * @largebatch/optim: SGD and LARS. The classes `SGD` and `LARS` optimize
 * @largebatch/tensor parameters with the fused native step `FusedGroup`, which updates a
 * whole param group in one addon call. The pure layer (also alone as
 * `@largebatch/optim/pure`, which needs neither the addon nor the tensor package): update
 * rules over flat Float32Arrays, optax style, and the functional steps `sgdStep` /
 * `larsStep`.
 */
export * from './pure';
export { FusedGroup, type BufferSpan, type FusedTensor } from './fused';
export { Optimizer } from './optimizer';
export { SGD } from './sgd';
export { LARS, excludeOneDimensional, type ExcludeParam, type LarsClassOptions, type LarsGroupHyper } from './lars';
export type { NamedParameter, ParamGroup, ParamGroupInput, Parameters, ParamsOrGroups } from './param-groups';
export type { OptimizerStateDict, ParamGroupState, ParamState } from './state-dict';
