#include "torch/core/random_ops.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "torch/core/dispatch.h"
#include "torch/core/error.h"
#include "torch/core/ops.h"

namespace tch {
namespace {

const Op kUniformOp("uniform");
const Op kNormalOp("normal");
const Op kRandintOp("randint");
const Op kRandpermOp("randperm");
const Op kBernoulliScalarOp("bernoulli_scalar");
const Op kBernoulliTensorOp("bernoulli_tensor");
const Op kDropoutOp("dropout");
const Op kDropoutBackwardOp("dropout_backward");

Generator& Resolve(Generator* generator) {
  return generator != nullptr ? *generator : DefaultCpuGenerator();
}

// Reserves the blocks `numel` elements need (nothing when numel is 0) and
// returns the stream to draw them from. See Note [Random streams].
RandomStream ReserveStream(Generator* generator, int64_t numel, bool wide) {
  const Generator::Reservation r =
      Resolve(generator).Reserve(RandomBlocksFor(numel, wide));
  return RandomStream{PhiloxKeyFromSeed(r.seed), r.start_offset};
}

void CheckFloating(const char* op, DType dtype) {
  TCH_CHECK(IsFloatingPoint(dtype), op,
            ": expected a floating-point dtype, got ", dtype);
}

// The largest finite value of a floating dtype.
double MaxFinite(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return 65504.0;
    case DType::kBFloat16:
      return 3.3895313892515355e38;
    case DType::kFloat32:
      return std::numeric_limits<float>::max();
    default:
      return std::numeric_limits<double>::max();
  }
}

// Runs a random kernel over `out` with `stream` (and inputs).
void RunRandom(const Op& op, RandomPlan& plan, const Tensor& out,
               std::initializer_list<Tensor> inputs) {
  plan.iter = MakeElementwisePlan(out, inputs);
  op.Get<RandomKernel>(out.device().type, out.dtype())(plan);
}

bool IsWideDType(DType dtype) { return dtype == DType::kFloat64; }

// In-place samplers write every element: a stride-0 dim of size > 1 (an
// expanded tensor) would make several elements share one memory location.
void CheckNoInternalOverlap(const char* op, const Tensor& self) {
  for (int64_t d = 0; d < self.dim(); ++d) {
    TCH_CHECK(self.sizes()[d] <= 1 || self.strides()[d] != 0, op,
              ": unsupported operation: more than one element of the "
              "written-to tensor refers to a single memory location (shape ",
              ShapeToString(self.sizes()), ", strides ",
              ShapeToString(self.strides()), "); clone() the tensor first");
  }
}

}  // namespace

// --- uniform / normal
// -----------------------------------------------------------

Tensor& uniform_(Tensor& self, double from, double to, Generator* generator) {
  CheckFloating("uniform_", self.dtype());
  CheckNoInternalOverlap("uniform_", self);
  TCH_CHECK(std::isfinite(from) && std::isfinite(to),
            "uniform_ expects finite bounds, but found from=", from,
            " to=", to);
  TCH_CHECK(from <= to,
            "uniform_ expects to return a [from, to) range, but "
            "found from=",
            from, " > to=", to);
  const double max = MaxFinite(self.dtype());
  TCH_CHECK(std::fabs(from) <= max, "from is out of bounds for ", self.dtype());
  TCH_CHECK(std::fabs(to) <= max, "to is out of bounds for ", self.dtype());
  TCH_CHECK(to - from <= max, "uniform_ expects to-from <= ", max, " for ",
            self.dtype(), ", but found to=", to, " from=", from);
  RandomPlan plan;
  plan.stream =
      ReserveStream(generator, self.numel(), IsWideDType(self.dtype()));
  plan.a = from;
  plan.b = to;
  if (self.numel() > 0) RunRandom(kUniformOp, plan, self, {});
  self.storage().BumpVersion();
  return self;
}

Tensor& normal_(Tensor& self, double mean, double std, Generator* generator) {
  CheckFloating("normal_", self.dtype());
  CheckNoInternalOverlap("normal_", self);
  TCH_CHECK(std::isfinite(mean) && std::isfinite(std),
            "normal expects finite mean and std, but found mean=", mean,
            " std=", std);
  TCH_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  RandomPlan plan;
  plan.stream =
      ReserveStream(generator, self.numel(), IsWideDType(self.dtype()));
  plan.a = mean;
  plan.b = std;
  if (self.numel() > 0) RunRandom(kNormalOp, plan, self, {});
  self.storage().BumpVersion();
  return self;
}

Tensor rand(IntList sizes, DType dtype, Generator* generator) {
  CheckFloating("rand", dtype);
  Tensor out = empty(sizes, dtype);
  uniform_(out, 0.0, 1.0, generator);
  return out;
}

Tensor rand_like(const Tensor& input, Generator* generator) {
  CheckFloating("rand_like", input.dtype());
  Tensor out = empty(input.sizes(), input.dtype(), input.device());
  uniform_(out, 0.0, 1.0, generator);
  return out;
}

Tensor randn(IntList sizes, DType dtype, Generator* generator) {
  CheckFloating("randn", dtype);
  Tensor out = empty(sizes, dtype);
  normal_(out, 0.0, 1.0, generator);
  return out;
}

Tensor randn_like(const Tensor& input, Generator* generator) {
  CheckFloating("randn_like", input.dtype());
  Tensor out = empty(input.sizes(), input.dtype(), input.device());
  normal_(out, 0.0, 1.0, generator);
  return out;
}

// --- randint
// ------------------------------------------------------------------

namespace {

// The closed interval of integers `dtype` holds exactly.
void IntegerBounds(DType dtype, double* lo, double* hi) {
  switch (dtype) {
    case DType::kBool:
      *lo = 0, *hi = 1;
      return;
    case DType::kUInt8:
      *lo = 0, *hi = 255;
      return;
    case DType::kInt32:
      *lo = -2147483648.0, *hi = 2147483647.0;
      return;
    case DType::kInt64:
      *lo = -9223372036854775808.0, *hi = 9223372036854775807.0;
      return;
    default: {
      const double limit = std::ldexp(1.0, UniformDigits(dtype));
      *lo = -limit, *hi = limit;
    }
  }
}

}  // namespace

Tensor randint(int64_t low, int64_t high, IntList sizes, DType dtype,
               Generator* generator) {
  TCH_CHECK(low < high,
            "random_ expects 'from' to be less than 'to', but "
            "got from=",
            low, " >= to=", high);
  if (dtype != DType::kInt64) {
    double lo = 0, hi = 0;
    IntegerBounds(dtype, &lo, &hi);
    TCH_CHECK(static_cast<double>(low) >= lo && static_cast<double>(low) <= hi,
              "randint: from is out of bounds for ", dtype, " (from=", low,
              ", valid range [", lo, ", ", hi, "])");
    TCH_CHECK(static_cast<double>(high - 1) >= lo &&
                  static_cast<double>(high - 1) <= hi,
              "randint: to - 1 is out of bounds for ", dtype, " (to=", high,
              ", valid range [", lo, ", ", hi, "])");
  }
  Tensor out = empty(sizes, dtype);
  RandomPlan plan;
  plan.low = low;
  plan.range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  plan.stream =
      ReserveStream(generator, out.numel(), plan.range > kRandintNarrowRange);
  if (out.numel() > 0) RunRandom(kRandintOp, plan, out, {});
  return out;
}

Tensor randint(int64_t high, IntList sizes, DType dtype, Generator* generator) {
  return randint(0, high, sizes, dtype, generator);
}

// --- randperm
// -------------------------------------------------------------------

Tensor randperm(int64_t n, DType dtype, Generator* generator) {
  TCH_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  TCH_CHECK(dtype != DType::kBool && dtype != DType::kUInt8,
            "randperm: expected dtype int64, int32 or a floating dtype, got ",
            dtype);
  if (dtype != DType::kInt64 && n > 0) {
    double lo = 0, hi = 0;
    IntegerBounds(dtype, &lo, &hi);
    TCH_CHECK(static_cast<double>(n - 1) <= hi, "randperm: n is too large for ",
              "result dtype ", dtype, ": n - 1 = ", n - 1,
              " is not exactly representable (max ", hi, ")");
  }
  Tensor out = empty({n}, dtype);
  RandpermPlan plan;
  plan.n = n;
  plan.stream = ReserveStream(generator, n, /*wide=*/true);
  plan.out = out.raw_data();
  plan.dtype = dtype;
  if (n > 0) kRandpermOp.Get<RandpermKernel>(DeviceType::kCpu, dtype)(plan);
  return out;
}

// --- bernoulli
// ------------------------------------------------------------------

namespace {

void CheckProbability(const char* op, double p) {
  TCH_CHECK(p >= 0.0 && p <= 1.0, op,
            " expects p to be in [0, 1], but got p=", p);
}

}  // namespace

Tensor& bernoulli_(Tensor& self, double p, Generator* generator) {
  CheckProbability("bernoulli_", p);
  CheckNoInternalOverlap("bernoulli_", self);
  RandomPlan plan;
  plan.a = p;
  plan.stream = ReserveStream(generator, self.numel(), /*wide=*/false);
  if (self.numel() > 0) RunRandom(kBernoulliScalarOp, plan, self, {});
  self.storage().BumpVersion();
  return self;
}

Tensor bernoulli(const Tensor& input, double p, Generator* generator) {
  CheckProbability("bernoulli_", p);
  Tensor out = empty(input.sizes(), input.dtype(), input.device());
  return bernoulli_(out, p, generator);
}

Tensor bernoulli(const Tensor& p, Generator* generator) {
  TCH_CHECK(IsFloatingPoint(p.dtype()),
            "bernoulli: expected a floating-point probability tensor, got ",
            p.dtype());
  Tensor out = empty(p.sizes(), p.dtype(), p.device());
  RandomPlan plan;
  bool invalid = false;
  plan.invalid_p = &invalid;
  plan.stream = ReserveStream(generator, out.numel(), /*wide=*/false);
  if (out.numel() > 0) RunRandom(kBernoulliTensorOp, plan, out, {p});
  TCH_CHECK(!invalid,
            "bernoulli: expected all probabilities p in [0, 1], "
            "got a value outside that range (or NaN) in p of shape ",
            ShapeToString(p.sizes()));
  return out;
}

// --- dropout
// ----------------------------------------------------------------------

DropoutResult dropout(const Tensor& input, double p, bool training,
                      Generator* generator) {
  TCH_CHECK(p >= 0.0 && p <= 1.0,
            "dropout probability has to be between 0 and 1, but got ", p);
  TCH_CHECK(IsFloatingPoint(input.dtype()),
            "dropout: expected a floating-point input, got ", input.dtype());
  if (!training || p == 0.0) {
    return {input, ones(input.sizes(), DType::kBool, input.device())};
  }
  if (p == 1.0) {
    return {mul(input, 0.0),
            zeros(input.sizes(), DType::kBool, input.device())};
  }
  Tensor output = empty(input.sizes(), input.dtype(), input.device());
  Tensor mask = empty(input.sizes(), DType::kBool, input.device());
  RandomPlan plan;
  plan.a = 1.0 - p;
  plan.b = 1.0 / (1.0 - p);
  plan.stream = ReserveStream(generator, output.numel(), /*wide=*/false);
  if (output.numel() > 0) RunRandom(kDropoutOp, plan, output, {mask, input});
  return {output, mask};
}

Tensor dropout_backward(const Tensor& grad, const Tensor& mask, double p) {
  TCH_CHECK(p >= 0.0 && p <= 1.0,
            "dropout probability has to be between 0 and 1, but got ", p);
  TCH_CHECK(IsFloatingPoint(grad.dtype()),
            "dropout_backward: expected a floating-point grad, got ",
            grad.dtype());
  TCH_CHECK(mask.dtype() == DType::kBool,
            "dropout_backward: mask should be a boolean tensor, but got ",
            mask.dtype());
  TCH_CHECK(grad.device() == mask.device(),
            "dropout_backward: expected grad and mask on the same device, got ",
            grad.device(), " and ", mask.device());
  const Shape shape =
      BroadcastShapes("dropout_backward", {grad.sizes(), mask.sizes()});
  Tensor out = empty(shape, grad.dtype(), grad.device());
  RandomPlan plan;
  plan.a = p == 1.0 ? 0.0 : 1.0 / (1.0 - p);
  if (out.numel() > 0) RunRandom(kDropoutBackwardOp, plan, out, {grad, mask});
  return out;
}

}  // namespace tch
