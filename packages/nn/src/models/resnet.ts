/**
 * torchvision's ResNets (v1.5: a bottleneck's stride is on its 3x3 conv), with torchvision's
 * module structure and registration order, so parameter and state-dict names match
 * torchvision.models.resnet18/34/50 exactly and checkpoints move both ways.
 */
import { type Tensor, addRelu, tidy } from '@largebatch/tensor';

import { constant_, kaimingNormal_, kaimingUniform_ } from '../init';
import { BatchNorm2d } from '../layers/batch-norm';
import { Conv2d } from '../layers/conv2d';
import { Linear } from '../layers/linear';
import { AdaptiveAvgPool2d, MaxPool2d, ReLU } from '../layers/simple';
import { Sequential } from '../layers/sequential';
import { Module } from '../module';

function conv3x3(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
}

function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** Two 3x3 convs and a shortcut (torchvision's BasicBlock, expansion 1). */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu = new ReLU();
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;

  constructor(inPlanes: number, planes: number, stride: number, readonly downsample: Sequential | null) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('relu', this.relu);
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
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

  constructor(inPlanes: number, planes: number, stride: number, readonly downsample: Sequential | null) {
    super();
    this.conv1 = this.registerModule('conv1', conv1x1(inPlanes, planes));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, stride));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.conv3 = this.registerModule('conv3', conv1x1(planes, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion));
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

type Block = typeof BasicBlock | typeof Bottleneck;

/** Options of the ResNet constructors. */
export interface ResNetOptions {
  /** Outputs of the final Linear; default 1000, as torchvision. */
  numClasses?: number;
  /**
   * 'torchvision' (default): convs kaiming_normal_(fan_out, relu), BN 1/0, fc PyTorch's Linear
   * default. 'he': then every Conv2d and Linear weight re-drawn with kaiming_uniform_ (a = 0,
   * fan_in), the study's "He initialization".
   */
  init?: 'torchvision' | 'he';
}

/**
 * The ImageNet-style ResNet of torchvision: 7x7/2 stem, 3x3/2 max-pool, four stages of
 * blocks, global average pool, fully connected layer.
 */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu = new ReLU();
  readonly maxpool: MaxPool2d;
  readonly layers: Sequential[];
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Linear;
  private inPlanes = 64;

  constructor(block: Block, stages: readonly [number, number, number, number], options: ResNetOptions = {}) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.registerModule('relu', this.relu);
    this.maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    this.layers = [64, 128, 256, 512].map((planes, i) =>
      this.registerModule(`layer${i + 1}`, this.makeLayer(block, planes, stages[i]!, i === 0 ? 1 : 2)),
    );
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(512 * block.expansion, options.numClasses ?? 1000));
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

  private makeLayer(block: Block, planes: number, blocks: number, stride: number): Sequential {
    const out = planes * block.expansion;
    const downsample = stride !== 1 || this.inPlanes !== out
      ? new Sequential(conv1x1(this.inPlanes, out, stride), new BatchNorm2d(out))
      : null;
    const layers: Module[] = [new block(this.inPlanes, planes, stride, downsample)];
    this.inPlanes = out;
    for (let i = 1; i < blocks; i++) layers.push(new block(this.inPlanes, planes, 1, null));
    return new Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
      for (const layer of this.layers) h = layer.forward(h);
      return this.fc.forward(this.avgpool.forward(h).flatten(1));
    });
  }
}

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
  return new ResNet(BasicBlock, [2, 2, 2, 2], options);
}

/** torchvision's resnet34: BasicBlocks [3, 4, 6, 3]. @example `resnet34({ numClasses: 10 })` */
export function resnet34(options: ResNetOptions = {}): ResNet {
  return new ResNet(BasicBlock, [3, 4, 6, 3], options);
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
  return new ResNet(Bottleneck, [3, 4, 6, 3], options);
}
