import { describe, expect, it } from 'vitest';

import { manualSeed, randn, testing, tidy } from '@largebatch/tensor';
import { Conv2d, Linear, resnet18, resnet34, resnet50 } from '../src/index';
import { readFixture } from './fixtures';
import { stats } from './stats';

const { expectNoLeaks } = testing;

type Names = [string, number[]][];
const torchvision = readFixture<Record<string, { parameters: Names; stateDict: Names; numParameters: number }>>('resnet_names.json');

describe('ResNet zoo: torchvision structure and names (resnet_names.json)', () => {
  for (const [name, make] of [['resnet18', resnet18], ['resnet34', resnet34], ['resnet50', resnet50]] as const) {
    it(`${name}: parameter and state-dict names, shapes and counts equal torchvision's`, () => {
      const net = make({ numClasses: 10 });
      const expected = torchvision[name]!;
      expect(net.namedParameters().map(([n, t]) => [n, t.shape])).toEqual(expected.parameters);
      expect(Object.entries(net.stateDict()).map(([n, t]) => [n, t.shape])).toEqual(expected.stateDict);
      expect(net.parameters().reduce((s, p) => s + p.numel, 0)).toBe(expected.numParameters);
      net.dispose();
    });
  }

  it('resnet50 has 23,528,522 parameters in 161 tensors with 10 classes, 25,557,032 with 1000', () => {
    for (const [classes, count] of [[10, 23_528_522], [1000, 25_557_032]] as const) {
      const net = resnet50({ numClasses: classes });
      expect(net.parameters().length).toBe(161);
      expect(net.parameters().reduce((s, p) => s + p.numel, 0)).toBe(count);
      net.dispose();
    }
  });

  it('initialises convs with kaiming_normal_(fan_out, relu), or kaiming_uniform_ with init "he"', () => {
    manualSeed(41);
    const net = resnet18({ numClasses: 10 });
    const conv = net.layers[3]!.at(0) as unknown as { conv2: Conv2d };
    const w = stats(conv.conv2.weight.data());
    expect(Math.abs(w.variance / (2 / (512 * 9)) - 1)).toBeLessThan(0.02);
    net.dispose();
    const he = resnet18({ numClasses: 10, init: 'he' });
    const hw = (he.layers[3]!.at(0) as unknown as { conv2: Conv2d }).conv2.weight;
    const bound = Math.sqrt(6 / (512 * 9));
    const h = stats(hw.data());
    expect(h.max).toBeLessThanOrEqual(bound);
    expect(Math.abs(h.variance / (bound * bound / 3) - 1)).toBeLessThan(0.02);
    expect(stats((he.fc as Linear).weight.data()).max).toBeLessThanOrEqual(Math.sqrt(6 / 512));
    he.dispose();
  });

  it('runs forward and backward on 32x32 images without leaking', () => {
    manualSeed(42);
    const net = resnet18({ numClasses: 10 });
    const x = randn([2, 3, 32, 32]);
    expectNoLeaks(() => {
      tidy(() => {
        const logits = net.train().forward(x);
        expect(logits.shape).toEqual([2, 10]);
        logits.sum().backward();
      });
      expect(net.parameters().every((p) => p.grad !== null && p.grad.shape.join() === p.shape.join())).toBe(true);
      for (const p of net.parameters()) p.grad = null;
    });
    x.dispose();
    net.dispose();
  });
});
