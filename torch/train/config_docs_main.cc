// File: torch/train/config_docs_main.cc
//
// Prints the Markdown reference of every config key (docs/config.md):
//   bazel run //torch/train:config_docs > docs/config.md
#include <iostream>

#include "torch/train/config.h"

int main() {
  std::cout << tch::train::ConfigDocsMarkdown();
  return 0;
}
