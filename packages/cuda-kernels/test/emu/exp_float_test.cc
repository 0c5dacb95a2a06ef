// exp_float (src/core/exp_float.h) against double exp: every 251st float from -103.97 to
// 88.72 (about 8.8 million values: normal and denormal results), within 1 ulp of the result
// (2^-149 where it is denormal); and the edges: +-0, +-inf, NaN, past either end.
// Run: lb_emu_tests exp_float.
#include <cmath>
#include <cstring>
#include <string>

#include "../../src/core/exp_float.h"
#include "harness.h"

namespace {

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// |got - want| in units of the last place of want rounded to float.
double ulp_error(float got, double want) {
  const double rounded = std::fabs(static_cast<double>(static_cast<float>(want)));
  const double ulp = std::fmax(std::ldexp(1.0, -149), std::nextafter(static_cast<float>(rounded), INFINITY) - rounded);
  return std::fabs(got - want) / ulp;
}

LBT_TEST(exp_float, within_one_ulp) {
  double worst = 0;
  float worst_x = 0;
  // Bit patterns of the positive floats up to 88.72 and of the negative ones down to -103.97.
  for (const auto& [first, last] : {std::pair<uint32_t, uint32_t>{0x00000000u, 0x42B17217u}, {0x80000000u, 0xC2CFF1B4u}})
    for (uint64_t bits = first; bits <= last; bits += 251) {
      const float x = from_bits(static_cast<uint32_t>(bits));
      const double e = ulp_error(lb::exp_float(x), std::exp(static_cast<double>(x)));
      if (!(e <= worst)) worst = e, worst_x = x;
    }
  LBT_CHECK(worst <= 1.0, "error " + std::to_string(worst) + " ulp at x = " + std::to_string(worst_x));
}

LBT_TEST(exp_float, edges) {
  LBT_CHECK(lb::exp_float(0.0f) == 1.0f && lb::exp_float(-0.0f) == 1.0f, "e^0");
  LBT_CHECK(lb::exp_float(-INFINITY) == 0.0f && lb::exp_float(-104.0f) == 0.0f, "0 below -103.97");
  LBT_CHECK(std::isinf(lb::exp_float(INFINITY)) && std::isinf(lb::exp_float(88.73f)), "+inf above 88.72");
  LBT_CHECK(std::isnan(lb::exp_float(NAN)), "NaN");
  LBT_CHECK(lb::exp_float(-100.0f) > 0.0f && lb::exp_float(-100.0f) < 1.2e-38f, "a denormal result");
}

}  // namespace
