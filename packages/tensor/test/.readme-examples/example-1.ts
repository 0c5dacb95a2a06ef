import { tensor, arange } from '@largebatch/tensor';

const a = tensor([[1, 2, 3], [4, 5, 6]]);
const b = tensor(new Int32Array([7, 8, 9]), { shape: [3] });
console.log(a.add(b).toArray()); // [[8, 10, 12], [11, 13, 15]] (float32: b promotes)
console.log(arange(6).reshape([2, 3]).sum(1).toArray()); // [3, 12]
[a, b].forEach((t) => t.dispose());

export {};
