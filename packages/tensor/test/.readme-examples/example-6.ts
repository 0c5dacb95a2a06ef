import { randn, testing } from '@largebatch/tensor';

const x = randn([3], { dtype: 'float64', requiresGrad: true });
testing.gradCheck((t) => t.exp().mul(t), [x]);
testing.expectNoLeaks(() => x.add(1).dispose());
x.dispose();

export {};
