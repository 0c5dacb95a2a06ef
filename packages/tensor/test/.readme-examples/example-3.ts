import { tensor, tidy } from '@largebatch/tensor';

const x = tensor([1, 2, 3], { requiresGrad: true });
tidy(() => x.mul(x).sum().backward());
tidy(() => x.sum().backward());
console.log(x.grad!.toArray()); // [3, 5, 7]: 2x + 1, accumulated
x.dispose();

export {};
