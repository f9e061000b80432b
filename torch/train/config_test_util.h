// File: torch/train/config_test_util.h
//
// Shared fixture of the config tests: each test runs with a fresh temporary
// directory as its working directory (restored afterwards), so configs are
// written and named with short relative paths.
//
// Example:
//   class MyTest : public ConfigTestBase {};
//   TEST_F(MyTest, X) {
//     Write("a.yaml", "model: {arch: mlp}\n");
//     EXPECT_EQ(ErrorOf([] { LoadConfig("a.yaml"); }), "a.yaml: ...");
//   }
#pragma once

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "torch/core/error.h"
#include "torch/train/config.h"

namespace tch::train {

class ConfigTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    char cwd[PATH_MAX];
    ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
    old_cwd_ = cwd;
    std::string pattern = ::testing::TempDir() + "/config_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    ASSERT_EQ(::chdir(pattern.c_str()), 0);
  }
  void TearDown() override { ASSERT_EQ(::chdir(old_cwd_.c_str()), 0); }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good()) << path;
  }

 private:
  std::string old_cwd_;
};

// The message of the ConfigError `f` throws; for a tch::IoError the message
// prefixed with "IoError: ", for any other tch::Error with "Error: "; ""
// when it throws nothing.
inline std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const IoError& e) {
    return std::string("IoError: ") + e.what();
  } catch (const Error& e) {
    return std::string("Error: ") + e.what();
  }
  return "";
}

}  // namespace tch::train
