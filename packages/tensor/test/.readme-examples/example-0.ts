import { tensor, randn, tidy, noGrad } from '@largebatch/tensor';

const w = randn([3, 2], { requiresGrad: true });
const x = randn([4, 3]);
const loss = tidy(() => x.matmul(w).pow(2).mean()); // intermediates freed, graph kept
loss.backward();
console.log(w.grad!.shape); // [3, 2]
noGrad(() => w.sub_(w.grad!.mul(0.1))); // a plain SGD step
loss.dispose();

export {};
