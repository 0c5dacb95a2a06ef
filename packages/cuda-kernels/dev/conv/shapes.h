// The convolution shapes of bench/conv.ts (ResNet-50 and ResNet-20 on 32x32 images), shared
// by conv_bench.cc and torch_bench.py's twin list, so dev runs time what the benchmark times.
#pragma once

struct NetConv {
  const char* net;
  int c, h, k, r, stride, pad, count;
};

inline const NetConv kNetConvs[] = {
    {"resnet50", 3, 32, 64, 7, 2, 3, 1},      {"resnet50", 64, 8, 64, 1, 1, 0, 1},
    {"resnet50", 64, 8, 64, 3, 1, 1, 3},      {"resnet50", 64, 8, 256, 1, 1, 0, 4},
    {"resnet50", 256, 8, 64, 1, 1, 0, 2},     {"resnet50", 256, 8, 128, 1, 1, 0, 1},
    {"resnet50", 128, 8, 128, 3, 2, 1, 1},    {"resnet50", 128, 4, 512, 1, 1, 0, 4},
    {"resnet50", 256, 8, 512, 1, 2, 0, 1},    {"resnet50", 512, 4, 128, 1, 1, 0, 3},
    {"resnet50", 128, 4, 128, 3, 1, 1, 3},    {"resnet50", 512, 4, 256, 1, 1, 0, 1},
    {"resnet50", 256, 4, 256, 3, 2, 1, 1},    {"resnet50", 256, 2, 1024, 1, 1, 0, 6},
    {"resnet50", 512, 4, 1024, 1, 2, 0, 1},   {"resnet50", 1024, 2, 256, 1, 1, 0, 5},
    {"resnet50", 256, 2, 256, 3, 1, 1, 5},    {"resnet50", 1024, 2, 512, 1, 1, 0, 1},
    {"resnet50", 512, 2, 512, 3, 2, 1, 1},    {"resnet50", 512, 1, 2048, 1, 1, 0, 3},
    {"resnet50", 1024, 2, 2048, 1, 2, 0, 1},  {"resnet50", 2048, 1, 512, 1, 1, 0, 2},
    {"resnet50", 512, 1, 512, 3, 1, 1, 2},    {"resnet20", 3, 32, 16, 3, 1, 1, 1},
    {"resnet20", 16, 32, 16, 3, 1, 1, 6},     {"resnet20", 16, 32, 32, 3, 2, 1, 1},
    {"resnet20", 32, 16, 32, 3, 1, 1, 5},     {"resnet20", 16, 32, 32, 1, 2, 0, 1},
    {"resnet20", 32, 16, 64, 3, 2, 1, 1},     {"resnet20", 64, 8, 64, 3, 1, 1, 5},
    {"resnet20", 32, 16, 64, 1, 2, 0, 1},
};
