/**
 * @largebatch/optim: SGD and LARS. The pure layer (also alone as `@largebatch/optim/pure`,
 * which needs no native addon): update rules over flat Float32Arrays, optax style, and the
 * functional steps `sgdStep` / `larsStep`. The fused native step `FusedGroup` updates a
 * whole param group in one addon call.
 */
export * from './pure';
export { FusedGroup, type BufferSpan, type FusedTensor } from './fused';
