// Stand-in for cuda_libraries_check.cc in CPU builds: says why it is skipped.
#include <cstdio>

int main() {
  std::printf("SKIPPED: built without CUDA (use --config=cuda)\n");
  return 0;
}
