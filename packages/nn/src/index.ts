/**
 * @largebatch/nn: PyTorch-shaped modules, layers, initialisers, losses and safetensors
 * checkpoints on @largebatch/tensor.
 *
 * @example
 * ```ts
 * import { Linear, ReLU, Sequential, crossEntropy } from '@largebatch/nn';
 * import { randn, tensor } from '@largebatch/tensor';
 * const model = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
 * const loss = crossEntropy(model.forward(randn([2, 4])), tensor([0, 2], { dtype: 'int32' }));
 * loss.backward();
 * ```
 */
export { Module } from './module';
export { StateDictError, SafetensorsError } from './errors';
export type { FactoryOptions } from './layers/options';
export { Linear } from './layers/linear';
export { Conv2d, type Conv2dLayerOptions } from './layers/conv2d';
export { BatchNorm2d, type BatchNorm2dOptions } from './layers/batch-norm';
export { ReLU, Flatten, Dropout, MaxPool2d, AdaptiveAvgPool2d } from './layers/simple';
export { Sequential } from './layers/sequential';
export {
  calculateGain, fanInAndFanOut, uniform_, normal_, constant_, zeros_, ones_, kaimingUniform_, kaimingNormal_,
  xavierUniform_, xavierNormal_, type Nonlinearity, type FanMode, type KaimingOptions,
} from './init';
export { saveSafetensors } from './safetensors/save';
export { loadSafetensors, readSafetensorsMetadata } from './safetensors/load';
export { MAX_HEADER_BYTES } from './safetensors/format';
export { crossEntropy, type CrossEntropyOptions } from './loss';
export {
  ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, type Block, type ResNetOptions, type ResNetSpec,
} from './models/resnet';
export { cifarResNet18, resnet20, resnet56 } from './models/cifar-resnet';
