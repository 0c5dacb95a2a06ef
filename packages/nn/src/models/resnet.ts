/**
 * torchvision's ResNets (v1.5: a bottleneck's stride is on its 3x3 conv), with torchvision's
 * module structure and registration order, so parameter and state-dict names match
 * torchvision.models.resnet18/34/50 exactly and checkpoints move both ways.
 */
import { ArgumentError, type Tensor, addRelu, tidy } from '@largebatch/tensor';

import { constant_, kaimingNormal_, kaimingUniform_ } from '../init';
import { BatchNorm2d } from '../layers/batch-norm';
import { Conv2d } from '../layers/conv2d';
import { Linear } from '../layers/linear';
import type { FactoryOptions } from '../layers/options';
import { AdaptiveAvgPool2d, MaxPool2d, ReLU } from '../layers/simple';
import { Sequential } from '../layers/sequential';
import { Module } from '../module';

function conv3x3(inPlanes: number, outPlanes: number, stride = 1, factory: FactoryOptions = {}): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 3, { ...factory, stride, padding: 1, bias: false });
}

function conv1x1(inPlanes: number, outPlanes: number, stride = 1, factory: FactoryOptions = {}): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { ...factory, stride, bias: false });
}

/** Two 3x3 convs and a shortcut (torchvision's BasicBlock, expansion 1). */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu = new ReLU();
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;

  constructor(inPlanes: number, planes: number, stride: number, readonly downsample: Sequential | null, factory: FactoryOptions = {}) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride, factory));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes, factory));
    this.registerModule('relu', this.relu);
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, 1, factory));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes, factory));
    if (downsample) this.registerModule('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const out = this.bn2.forward(this.conv2.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x)))));
      return addRelu(out, this.downsample ? this.downsample.forward(x) : x);
    });
  }
}

/** 1x1 reduce, 3x3 (strided), 1x1 expand, and a shortcut (torchvision's Bottleneck, expansion 4). */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu = new ReLU();

  constructor(inPlanes: number, planes: number, stride: number, readonly downsample: Sequential | null, factory: FactoryOptions = {}) {
    super();
    this.conv1 = this.registerModule('conv1', conv1x1(inPlanes, planes, 1, factory));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes, factory));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, stride, factory));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes, factory));
    this.conv3 = this.registerModule('conv3', conv1x1(planes, planes * Bottleneck.expansion, 1, factory));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion, factory));
    this.registerModule('relu', this.relu);
    if (downsample) this.registerModule('downsample', downsample);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
      out = this.bn3.forward(this.conv3.forward(out));
      return addRelu(out, this.downsample ? this.downsample.forward(x) : x);
    });
  }
}

/** The block class of a ResNet: BasicBlock (expansion 1) or Bottleneck (expansion 4). */
export type Block = typeof BasicBlock | typeof Bottleneck;

/** Options of the ResNet constructors; `dtype` and `device` (default float32, CPU) go to every layer. */
export interface ResNetOptions extends FactoryOptions {
  /** Outputs of the final Linear; default 1000 for the ImageNet-style nets, 10 for the CIFAR ones. */
  numClasses?: number;
  /**
   * 'torchvision' (default): convs kaiming_normal_(fan_out, relu), BN 1/0, fc PyTorch's Linear
   * default. 'he': then every Conv2d and Linear weight re-drawn with kaiming_uniform_ (a = 0,
   * fan_in), the study's "He initialization".
   */
  init?: 'torchvision' | 'he';
}

/**
 * The shape of a ResNet: its block, blocks per stage, channels per stage and stem.
 * 'imagenet': torchvision's 7x7/2 conv + 3x3/2 max-pool. 'cifar': a 3x3/1 conv and no
 * max-pool (the 32x32 input keeps its resolution into the first stage).
 */
export interface ResNetSpec {
  block: Block;
  stages: readonly number[];
  widths: readonly number[];
  stem: 'imagenet' | 'cifar';
  /** Output channels of the stem conv = input channels of the first stage. */
  stemWidth: number;
}

/** Throws an ArgumentError for options that no ResNet can take, before any tensor is allocated. */
export function checkResNetOptions(fn: string, options: ResNetOptions): void {
  const { numClasses, init } = options;
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1)) {
    throw new ArgumentError(`${fn}: numClasses must be a positive integer, got ${String(numClasses)}`);
  }
  if (init !== undefined && init !== 'torchvision' && init !== 'he') {
    throw new ArgumentError(`${fn}: init must be 'torchvision' or 'he', got ${String(init)}`);
  }
}

/**
 * torchvision's ResNet class, generalised over its stem and stage widths so that the CIFAR
 * nets share its blocks, names and initialisation: stem (conv1, bn1, relu, maxpool when
 * 'imagenet'), stages layer1..layerN, global average pool, fully connected layer `fc`. A
 * stage's first block gets a 1x1 projection + BN shortcut (`downsample`) where the stride or
 * the width changes, as torchvision. The constructors below build the usual ones.
 *
 * @example
 * ```ts
 * import { BasicBlock, ResNet } from '@largebatch/nn';
 * // A ResNet-32 for CIFAR (n = 5), 100 classes.
 * const net = new ResNet({ block: BasicBlock, stages: [5, 5, 5], widths: [16, 32, 64], stem: 'cifar', stemWidth: 16 }, { numClasses: 100 });
 * ```
 */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu = new ReLU();
  /** The stem's max-pool; null for the CIFAR stem. */
  readonly maxpool: MaxPool2d | null;
  readonly layers: Sequential[];
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Linear;
  private inPlanes: number;

  constructor(spec: ResNetSpec, options: ResNetOptions = {}) {
    super();
    checkResNetOptions('ResNet', options);
    if (spec.stages.length !== spec.widths.length || spec.stages.length === 0) {
      throw new ArgumentError(`ResNet: stages and widths must be non-empty and of equal length, got ${spec.stages.length} and ${spec.widths.length}`);
    }
    for (const [arg, values] of [['stages', spec.stages], ['widths', spec.widths]] as const) {
      if (!values.every((v) => Number.isInteger(v) && v >= 1)) {
        throw new ArgumentError(`ResNet: ${arg} must be positive integers, got [${values.join(', ')}]`);
      }
    }
    if (!Number.isInteger(spec.stemWidth) || spec.stemWidth < 1) {
      throw new ArgumentError(`ResNet: stemWidth must be a positive integer, got ${spec.stemWidth}`);
    }
    if (spec.stem !== 'imagenet' && spec.stem !== 'cifar') {
      throw new ArgumentError(`ResNet: stem must be 'imagenet' or 'cifar', got ${String(spec.stem)}`);
    }
    const { block, stemWidth } = spec;
    const factory: FactoryOptions = { dtype: options.dtype, device: options.device };
    this.inPlanes = stemWidth;
    this.conv1 = this.registerModule('conv1', spec.stem === 'imagenet'
      ? new Conv2d(3, stemWidth, 7, { ...factory, stride: 2, padding: 3, bias: false })
      : conv3x3(3, stemWidth, 1, factory));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(stemWidth, factory));
    this.registerModule('relu', this.relu);
    this.maxpool = spec.stem === 'imagenet' ? this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 })) : null;
    this.layers = spec.widths.map((planes, i) =>
      this.registerModule(`layer${i + 1}`, this.makeLayer(block, planes, spec.stages[i]!, i === 0 ? 1 : 2, factory)),
    );
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(spec.widths.at(-1)! * block.expansion, options.numClasses ?? 1000, factory));
    for (const m of this.modules()) {
      if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      if (m instanceof BatchNorm2d) {
        constant_(m.weight!, 1);
        constant_(m.bias!, 0);
      }
    }
    if (options.init === 'he') {
      for (const m of this.modules()) if (m instanceof Conv2d || m instanceof Linear) kaimingUniform_(m.weight);
    }
  }

  private makeLayer(block: Block, planes: number, blocks: number, stride: number, factory: FactoryOptions): Sequential {
    const out = planes * block.expansion;
    const downsample = stride !== 1 || this.inPlanes !== out
      ? new Sequential(conv1x1(this.inPlanes, out, stride, factory), new BatchNorm2d(out, factory))
      : null;
    const layers: Module[] = [new block(this.inPlanes, planes, stride, downsample, factory)];
    this.inPlanes = out;
    for (let i = 1; i < blocks; i++) layers.push(new block(this.inPlanes, planes, 1, null, factory));
    return new Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      if (this.maxpool) h = this.maxpool.forward(h);
      for (const layer of this.layers) h = layer.forward(h);
      return this.fc.forward(this.avgpool.forward(h).flatten(1));
    });
  }
}

const imagenet = (block: Block, stages: readonly number[]): ResNetSpec =>
  ({ block, stages, widths: [64, 128, 256, 512], stem: 'imagenet', stemWidth: 64 });

/**
 * torchvision's resnet18: BasicBlocks [2, 2, 2, 2], 11,181,642 parameters with 10 classes.
 *
 * @example
 * ```ts
 * import { resnet18 } from '@largebatch/nn';
 * const net = resnet18({ numClasses: 10 });
 * ```
 */
export function resnet18(options: ResNetOptions = {}): ResNet {
  checkResNetOptions('resnet18', options);
  return new ResNet(imagenet(BasicBlock, [2, 2, 2, 2]), options);
}

/**
 * torchvision's resnet34: BasicBlocks [3, 4, 6, 3], 21,289,802 parameters with 10 classes.
 *
 * @example
 * ```ts
 * import { resnet34 } from '@largebatch/nn';
 * const net = resnet34({ numClasses: 10 });
 * ```
 */
export function resnet34(options: ResNetOptions = {}): ResNet {
  checkResNetOptions('resnet34', options);
  return new ResNet(imagenet(BasicBlock, [3, 4, 6, 3]), options);
}

/**
 * torchvision's resnet50: Bottlenecks [3, 4, 6, 3], 23,528,522 parameters in 161 tensors with
 * 10 classes (25,557,032 with 1000), the study's model.
 *
 * @example
 * ```ts
 * import { resnet50 } from '@largebatch/nn';
 * const net = resnet50({ numClasses: 10, init: 'he' });
 * ```
 */
export function resnet50(options: ResNetOptions = {}): ResNet {
  checkResNetOptions('resnet50', options);
  return new ResNet(imagenet(Bottleneck, [3, 4, 6, 3]), options);
}
