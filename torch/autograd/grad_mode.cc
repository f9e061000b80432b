#include "torch/autograd/grad_mode.h"

namespace tch::autograd {
namespace {
thread_local bool grad_mode_enabled = true;
}  // namespace

bool GradMode::IsEnabled() { return grad_mode_enabled; }
void GradMode::SetEnabled(bool enabled) { grad_mode_enabled = enabled; }

}  // namespace tch::autograd
