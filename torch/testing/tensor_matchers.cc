#include "torch/testing/tensor_matchers.h"

#include <cmath>
#include <mutex>
#include <sstream>
#include <vector>

#include "torch/core/ops.h"
#include "torch/core/serialize.h"

namespace tch::testing {
namespace {

std::string Describe(const Tensor& t) {
  std::ostringstream out;
  out << ShapeToString(t.sizes()) << " " << t.dtype();
  return out.str();
}

bool SameShape(const Tensor& a, const Tensor& b) {
  return a.sizes() == b.sizes();
}

}  // namespace

::testing::AssertionResult TensorsClose(const Tensor& actual,
                                        const Tensor& expected, double rtol,
                                        double atol) {
  if (!SameShape(actual, expected)) {
    return ::testing::AssertionFailure()
           << "shape mismatch: actual " << Describe(actual) << ", expected "
           << Describe(expected);
  }
  const std::vector<double> a = actual.ToVector<double>();
  const std::vector<double> e = expected.ToVector<double>();
  int64_t mismatches = 0;
  std::ostringstream details;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    bool ok;
    if (std::isnan(e[i]) || std::isnan(a[i])) {
      ok = std::isnan(e[i]) && std::isnan(a[i]);
    } else if (std::isinf(e[i]) || std::isinf(a[i])) {
      ok = a[i] == e[i];
    } else {
      const double diff = std::fabs(a[i] - e[i]);
      ok = diff <= atol + rtol * std::fabs(e[i]);
      if (!ok) worst = std::max(worst, diff);
    }
    if (!ok && mismatches++ < 5) {
      details << "\n  at flat index " << i << ": actual " << a[i]
              << ", expected " << e[i];
    }
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << mismatches << " of " << a.size() << " elements differ (rtol "
         << rtol << ", atol " << atol << ", max abs diff " << worst << ") for "
         << Describe(actual) << " vs " << Describe(expected) << details.str();
}

::testing::AssertionResult TensorsEqual(const Tensor& actual,
                                        const Tensor& expected) {
  if (actual.dtype() != expected.dtype() || !SameShape(actual, expected)) {
    return ::testing::AssertionFailure() << "actual " << Describe(actual)
                                         << ", expected " << Describe(expected);
  }
  return TensorsClose(actual, expected, 0.0, 0.0);
}

std::map<std::string, Tensor> LoadGolden(const std::string& path) {
  try {
    return LoadSafetensors(path);
  } catch (const Error& e) {
    ADD_FAILURE() << "cannot load golden file " << path << ": " << e.what();
    return {};
  }
}

const std::map<std::string, Tensor>& CachedGolden(const std::string& path) {
  static std::mutex mutex;
  static auto* cache =
      new std::map<std::string, std::map<std::string, Tensor>>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache->find(path);
  if (it == cache->end()) it = cache->emplace(path, LoadGolden(path)).first;
  return it->second;
}

Tensor GoldenTensor(const std::string& path, const std::string& name) {
  const auto& golden = CachedGolden(path);
  const auto it = golden.find(name);
  if (it == golden.end()) {
    ADD_FAILURE() << "golden tensor '" << name << "' missing from " << path;
    return zeros({0});
  }
  return it->second;
}

}  // namespace tch::testing
