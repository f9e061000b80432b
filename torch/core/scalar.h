// File: torch/core/scalar.h
//
// A number passed to an op alongside tensors (`t + 1`, `full(shape, 0.5)`).
// It remembers whether it was written as a bool, an integer or a floating
// value, because PyTorch's promotion treats those as "wrapped numbers" of
// dtype bool, int64 and the default float dtype (float32).
#pragma once

#include <cstdint>
#include <ostream>
#include <type_traits>

#include "torch/core/dtype.h"

namespace tch {

class Scalar {
 public:
  Scalar() : Scalar(int64_t{0}) {}
  template <typename T>
  requires std::is_arithmetic_v<T> Scalar(
      T value) {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::kBool;
      i_ = value ? 1 : 0;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::kInt;
      i_ = static_cast<int64_t>(value);
    } else {
      kind_ = Kind::kFloat;
      d_ = static_cast<double>(value);
    }
  }
  Scalar(Float16 value) : Scalar(static_cast<float>(value)) {}   // NOLINT
  Scalar(BFloat16 value) : Scalar(static_cast<float>(value)) {}  // NOLINT

  bool is_floating_point() const { return kind_ == Kind::kFloat; }
  bool is_integral() const { return kind_ == Kind::kInt; }
  bool is_bool() const { return kind_ == Kind::kBool; }

  // The dtype of the wrapped number in promotion: bool, int64 or float32.
  DType wrapped_dtype() const {
    switch (kind_) {
      case Kind::kBool:
        return DType::kBool;
      case Kind::kInt:
        return DType::kInt64;
      case Kind::kFloat:
        break;
    }
    return DType::kFloat32;
  }

  // The value converted to T (C++ conversion rules; bool is value != 0).
  template <typename T>
  T to() const {
    if (kind_ == Kind::kFloat) {
      if constexpr (std::is_same_v<T, bool>)
        return d_ != 0.0;
      else if constexpr (std::is_same_v<T, Float16> ||
                         std::is_same_v<T, BFloat16>)
        return T(static_cast<float>(d_));
      else
        return static_cast<T>(d_);
    }
    if constexpr (std::is_same_v<T, bool>)
      return i_ != 0;
    else if constexpr (std::is_same_v<T, Float16> ||
                       std::is_same_v<T, BFloat16>)
      return T(static_cast<float>(i_));
    else
      return static_cast<T>(i_);
  }

  friend std::ostream& operator<<(std::ostream& out, const Scalar& s) {
    if (s.kind_ == Kind::kFloat) return out << s.d_;
    if (s.kind_ == Kind::kBool) return out << (s.i_ ? "True" : "False");
    return out << s.i_;
  }

 private:
  enum class Kind : uint8_t { kBool, kInt, kFloat };
  Kind kind_;
  int64_t i_ = 0;
  double d_ = 0.0;
};

}  // namespace tch
