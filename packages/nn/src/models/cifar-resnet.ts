/**
 * ResNets for 32x32 inputs: a 3x3 stride-1 stem and no max-pool, so the first stage sees the
 * full 32x32 resolution (the 7x7/2 stem + max-pool of the ImageNet nets would shrink it to
 * 8x8). Built from torchvision's blocks and named as torchvision's ResNet (conv1, bn1,
 * layer1.., downsample, fc), so a state dict of `cifarResNet18` loads into torchvision's
 * resnet18 after `model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False); model.maxpool =
 * nn.Identity()`, the usual way of adapting it to CIFAR.
 *
 * Shortcuts: where a stage changes the stride or the width, every net here uses a 1x1
 * projection conv + BN (He et al. 2016's option B, torchvision's `downsample`); elsewhere the
 * identity. For resnet20/56 this differs from the paper's CIFAR runs, which used option A
 * (identity with stride-2 subsampling and zero-padded channels, no parameters): option B adds
 * 2,752 parameters (two 1x1 convs and their BN) and keeps every shortcut a plain op we
 * already have and the bench measures.
 */
import { BasicBlock, ResNet, type ResNetOptions, type ResNetSpec, checkResNetOptions } from './resnet';

const cifar = (stages: readonly number[], widths: readonly number[]): ResNetSpec =>
  ({ block: BasicBlock, stages, widths, stem: 'cifar', stemWidth: widths[0]! });

/**
 * ResNet-18 for CIFAR (as kuangliu's pytorch-cifar and most CIFAR recipes): a 3x3/1 conv
 * with 64 channels and no max-pool, then torchvision resnet18's BasicBlock stages [2, 2, 2, 2]
 * at 64/128/256/512 channels with 1x1 projection shortcuts, global average pool and fc.
 * 11,173,962 parameters in 62 tensors with 10 classes; names equal torchvision resnet18's.
 * `numClasses` defaults to 10; `init` as the other ResNets ('he' = the study's He init).
 *
 * @example
 * ```ts
 * import { cifarResNet18 } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * const net = cifarResNet18({ numClasses: 10, init: 'he' });
 * const logits = net.eval().forward(randn([2, 3, 32, 32])); // [2, 10]
 * ```
 */
export function cifarResNet18(options: ResNetOptions = {}): ResNet {
  checkResNetOptions('cifarResNet18', options);
  return new ResNet(cifar([2, 2, 2, 2], [64, 128, 256, 512]), { ...options, numClasses: options.numClasses ?? 10 });
}

/**
 * ResNet-20 of He et al. 2016 (section 4.2, n = 3): a 3x3 conv with 16 channels, three stages
 * of 3 BasicBlocks at 16/32/64 channels (32x32, 16x16, 8x8), global average pool and fc.
 * Shortcuts are 1x1 projections + BN where the shape changes (option B; the paper's option A
 * would have 269,722 parameters): 272,474 parameters in 65 tensors with 10 classes.
 * `numClasses` defaults to 10; initialised as torchvision's ResNets, or `init: 'he'`.
 *
 * @example
 * ```ts
 * import { resnet20 } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * const net = resnet20({ numClasses: 10 });
 * const logits = net.eval().forward(randn([4, 3, 32, 32])); // [4, 10]
 * ```
 */
export function resnet20(options: ResNetOptions = {}): ResNet {
  checkResNetOptions('resnet20', options);
  return new ResNet(cifar([3, 3, 3], [16, 32, 64]), { ...options, numClasses: options.numClasses ?? 10 });
}

/**
 * ResNet-56 of He et al. 2016 (n = 9): as resnet20 with 9 BasicBlocks per stage; 1x1
 * projection shortcuts (option B): 855,770 parameters in 173 tensors with 10 classes
 * (853,018 with option A).
 *
 * @example
 * ```ts
 * import { resnet56 } from '@largebatch/nn';
 * const net = resnet56({ numClasses: 100, init: 'he' });
 * net.parameters().length; // 173
 * ```
 */
export function resnet56(options: ResNetOptions = {}): ResNet {
  checkResNetOptions('resnet56', options);
  return new ResNet(cifar([9, 9, 9], [16, 32, 64]), { ...options, numClasses: options.numClasses ?? 10 });
}
