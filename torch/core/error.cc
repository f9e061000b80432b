#include "torch/core/error.h"

#include <cstdio>
#include <cstdlib>

namespace tch::detail {

void InternalAssertFail(const char* file, int line, const char* condition,
                        const std::string& message) {
  std::fprintf(stderr, "tch internal error at %s:%d: check '%s' failed: %s\n",
               file, line, condition, message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace tch::detail
