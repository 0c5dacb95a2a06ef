import { tidy, keep, randn, memory } from '@largebatch/tensor';

const before = memory().numTensors;
let kept = randn([1]);
const total = tidy(() => {
  kept.dispose();
  kept = keep(randn([4]));
  return randn([100]).exp().sum(); // returned: survives
});
console.log(memory().numTensors - before); // 2 (kept and total)
total.dispose();
kept.dispose();

export {};
