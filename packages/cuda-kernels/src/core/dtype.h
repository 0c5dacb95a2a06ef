// Element types shared with TypeScript (packages/tensor/src/dtype.ts uses the same codes).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lb {

enum class DType : int { F32 = 0, F64 = 1, I32 = 2, U8 = 3 };

inline size_t dtype_size(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I32: return 4;
    case DType::U8: return 1;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I32: return "int32";
    case DType::U8: return "uint8";
  }
  return "unknown";
}

inline bool dtype_valid(int code) { return code >= 0 && code <= 3; }

// Calls f(T{}) with T the C++ type of d; the one place a dtype code becomes a type.
template <typename F>
auto dispatch_dtype(DType d, F&& f) {
  switch (d) {
    case DType::F64: return f(double{});
    case DType::I32: return f(int32_t{});
    case DType::U8: return f(uint8_t{});
    case DType::F32: default: return f(float{});
  }
}

}  // namespace lb
