import { randn, cat, pad, flip, tidy } from '@largebatch/tensor';

tidy(() => {
  const images = randn([2, 3, 32, 32]);
  const padded = pad(images, [4, 4, 4, 4]);              // [2, 3, 40, 40]
  const crop = padded.slice(2, 3, 35).slice(3, 5, 37);   // [2, 3, 32, 32], a view
  const mirrored = flip(crop, [3]);
  console.log(cat([crop, mirrored], 0).shape);           // [4, 3, 32, 32]
});

export {};
