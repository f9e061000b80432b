// File: torch/core/half.h
//
// 16-bit floating-point storage types: IEEE 754 binary16 (`Float16`) and
// bfloat16 (`BFloat16`, the top half of a float32). Arithmetic happens in
// float32: kernels load, convert, compute and round back, as PyTorch's CPU
// kernels do. Conversions round to nearest, ties to even, and keep NaN/Inf.
//
// Example:
//   tch::Float16 h(1.5f);
//   float f = static_cast<float>(h);   // 1.5f
#pragma once

#include <bit>
#include <cstdint>

#if defined(__CUDACC__)
#define TCH_HOST_DEVICE __host__ __device__
#else
#define TCH_HOST_DEVICE
#endif

namespace tch {
namespace detail {

TCH_HOST_DEVICE inline uint16_t FloatToHalfBits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // Inf or NaN (NaN keeps a quiet payload bit).
    return static_cast<uint16_t>(sign | 0x7c00u |
                                 (abs > 0x7f800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477ff000u) {  // Rounds to a magnitude beyond 65504: Inf.
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (abs < 0x38800000u) {  // Subnormal half (or zero): scale by 2^24 exactly.
    // Adding 0.5f aligns the mantissa so the FPU performs the RNE rounding.
    const float shifted = std::bit_cast<float>(abs) + 0.5f;
    return static_cast<uint16_t>(
        sign | (std::bit_cast<uint32_t>(shifted) - 0x3f000000u));
  }
  // Normal: rebias exponent (127 -> 15) and round the 13 dropped bits to even.
  const uint32_t odd = (abs >> 13) & 1u;
  const uint32_t rounded = abs + 0xc8000fffu + odd;  // -(112 << 23) + 0xfff
  return static_cast<uint16_t>(sign | (rounded >> 13));
}

TCH_HOST_DEVICE inline float HalfBitsToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1f) {
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent == 0) {  // Zero or subnormal: mantissa * 2^-24.
    const float magnitude =
        static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) |
                              (mantissa << 13));
}

TCH_HOST_DEVICE inline uint16_t FloatToBFloat16Bits(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
  }
  const uint32_t rounding_bias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding_bias) >> 16);
}

TCH_HOST_DEVICE inline float BFloat16BitsToFloat(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

}  // namespace detail

// IEEE 754 half precision: 1 sign, 5 exponent, 10 mantissa bits.
struct Float16 {
  uint16_t bits = 0;

  Float16() = default;
  TCH_HOST_DEVICE Float16(float value)  // NOLINT(google-explicit-constructor)
      : bits(detail::FloatToHalfBits(value)) {}
  TCH_HOST_DEVICE operator float()
      const {  // NOLINT(google-explicit-constructor)
    return detail::HalfBitsToFloat(bits);
  }
  static Float16 FromBits(uint16_t raw) {
    Float16 h;
    h.bits = raw;
    return h;
  }
};

// bfloat16: 1 sign, 8 exponent, 7 mantissa bits (float32's range).
struct BFloat16 {
  uint16_t bits = 0;

  BFloat16() = default;
  TCH_HOST_DEVICE BFloat16(float value)  // NOLINT(google-explicit-constructor)
      : bits(detail::FloatToBFloat16Bits(value)) {}
  TCH_HOST_DEVICE operator float()
      const {  // NOLINT(google-explicit-constructor)
    return detail::BFloat16BitsToFloat(bits);
  }
  static BFloat16 FromBits(uint16_t raw) {
    BFloat16 b;
    b.bits = raw;
    return b;
  }
};

}  // namespace tch
