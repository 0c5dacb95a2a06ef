import { cuda, setNumThreads, getNumThreads } from '@largebatch/tensor';

if (!cuda.isAvailable()) console.log(`no GPU: ${cuda.reason()}`);
setNumThreads(getNumThreads());

export {};
