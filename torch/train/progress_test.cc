// File: torch/train/progress_test.cc
#include "torch/train/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "torch/core/error.h"

namespace tch::train {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A fake clock the test advances by hand.
struct FakeClock {
  double now = 1000;
  std::function<double()> fn() {
    return [this] { return now; };
  }
};

ProgressOptions Plain(FakeClock& clock, int64_t steps, double seconds) {
  ProgressOptions options;
  options.mode = ProgressOptions::Mode::kPlain;
  options.log_interval_steps = steps;
  options.log_interval_seconds = seconds;
  options.clock = clock.fn();
  return options;
}

ProgressUpdate At(int64_t step, int64_t total = 100) {
  ProgressUpdate u;
  u.step = step;
  u.total_steps = total;
  u.epoch = step / 50;
  u.total_epochs = 2;
  u.loss = 1.0 / static_cast<double>(step);
  u.lr = 0.001;
  u.samples = step * 32;
  return u;
}

TEST(ProgressTest, PlainModeEveryNStepsNeverCarriageReturns) {
  FakeClock clock;
  std::ostringstream out;
  {
    ProgressReporter progress(out, Plain(clock, 25, 0));
    EXPECT_FALSE(progress.tty());
    for (int64_t step = 1; step <= 100; ++step) {
      clock.now += 0.5;
      progress.Update(At(step));
    }
    progress.Event("checkpoint saved: /runs/a/step-100");
  }  // the destructor's Finish() must not repeat step 100
  std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\033'), std::string::npos);
  std::vector<std::string> lines = Lines(text);
  ASSERT_EQ(lines.size(), 6u) << text;
  // First update, every 25 steps, the final step, then the event.
  EXPECT_EQ(lines[0], "step 1/100 epoch 0/2 loss 1 lr 0.001");
  EXPECT_THAT(lines[1], testing::StartsWith("step 25/100 epoch 0/2 "));
  EXPECT_THAT(lines[2], testing::StartsWith("step 50/100 epoch 1/2 "));
  EXPECT_THAT(lines[3], testing::StartsWith("step 75/100 "));
  // 99 steps in 49.5 s of 32 samples: 64 samples/s; 0 steps left.
  EXPECT_EQ(lines[4],
            "step 100/100 epoch 2/2 loss 0.01 lr 0.001 samples/s 64 ETA 00:00");
  EXPECT_EQ(lines[5], "checkpoint saved: /runs/a/step-100");
}

TEST(ProgressTest, PlainModeTimeThrottle) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress(out, Plain(clock, 0, 10));
  std::vector<int64_t> printed;
  for (int64_t step = 1; step <= 35; ++step) {
    progress.Update(At(step, /*total=*/0));
    clock.now += 1;
  }
  progress.Finish();
  progress.Finish();  // idempotent
  for (const std::string& line : Lines(out.str())) {
    printed.push_back(std::stoll(line.substr(5)));
    EXPECT_THAT(line, Not(HasSubstr("ETA")));  // total unknown
  }
  // Step 1 at t=0, then whenever 10 s have passed, then Finish at step 35.
  EXPECT_THAT(printed, ElementsAre(1, 11, 21, 31, 35));
}

TEST(ProgressTest, RatesAndEta) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress(out, Plain(clock, 10, 0));
  progress.Update(At(10, 1000));  // start: step 10 (a resumed run)
  clock.now += 20;
  progress.Update(At(20, 1000));  // 10 steps, 320 samples in 20 s
  // 980 steps left at 2 s/step = 1960 s = 32:40.
  EXPECT_EQ(progress.FormatPlainLine(),
            "step 20/1000 epoch 0/2 loss 0.05 lr 0.001 samples/s 16 ETA "
            "32:40");
  EXPECT_EQ(FormatDuration(0), "00:00");
  EXPECT_EQ(FormatDuration(65.4), "01:05");
  EXPECT_EQ(FormatDuration(3661), "1:01:01");
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatDuration(1.0 / 0.0), "?");
}

TEST(ProgressTest, TtyModeRedrawsAtMostTenTimesASecond) {
  FakeClock clock;
  std::ostringstream out;
  ProgressOptions options;
  options.mode = ProgressOptions::Mode::kTty;
  options.terminal_columns = 200;
  options.clock = clock.fn();
  ProgressReporter progress(out, options);
  EXPECT_TRUE(progress.tty());
  // 1000 steps of 2 ms = 2 s: about 20 draws, never more than 10 per second.
  for (int64_t step = 1; step <= 1000; ++step) {
    clock.now += 0.002;
    progress.Update(At(step, 1000));
  }
  std::string text = out.str();
  size_t draws = std::count(text.begin(), text.end(), '\r');
  EXPECT_GE(draws, 15u);
  EXPECT_LE(draws, 22u);                          // 2 s * 10/s + first + final
  EXPECT_EQ(text.find('\n'), std::string::npos);  // one line, redrawn
  EXPECT_THAT(text, HasSubstr("[####################] 1000/1000 ep 20/2"));
  EXPECT_THAT(text, HasSubstr("##..........] "));  // a partial bar

  out.str("");
  progress.Event("eval step 1000: loss 0.41 accuracy 0.87");
  // Clear the bar, print the event on its own line, redraw the bar.
  EXPECT_THAT(out.str(),
              testing::StartsWith("\r\033[Keval step 1000: loss 0.41 accuracy "
                                  "0.87\n\r[####################] 1000/1000"));
  out.str("");
  progress.Finish();
  EXPECT_THAT(out.str(), testing::EndsWith("\033[K\n"));
  out.str("");
  progress.Finish();
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressTest, TtyLineNeverWraps) {
  FakeClock clock;
  std::ostringstream out;
  ProgressOptions options;
  options.mode = ProgressOptions::Mode::kTty;
  options.terminal_columns = 40;
  options.clock = clock.fn();
  ProgressReporter progress(out, options);
  progress.Update(At(5, 100));
  clock.now += 1;
  progress.Update(At(50, 100));
  std::string text = out.str();
  size_t pos = 0;
  int segments = 0;
  while ((pos = text.find('\r', pos)) != std::string::npos) {
    size_t end = text.find("\033[K", pos);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - pos - 1, 39u) << text.substr(pos + 1, end - pos - 1);
    pos = end;
    ++segments;
  }
  EXPECT_EQ(segments, 2);
}

TEST(ProgressTest, AutoModeOnAStringStreamIsPlain) {
  std::ostringstream out;
  ProgressReporter progress(out);
  EXPECT_FALSE(progress.tty());
  progress.Update(At(1));
  progress.Event("line with\nbreak\r");
  progress.Finish();
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
  EXPECT_THAT(out.str(), HasSubstr("\nline with break \n"));
}

TEST(ProgressTest, InvalidOptions) {
  std::ostringstream out;
  ProgressOptions bad;
  bad.tty_refresh_seconds = 0;
  EXPECT_THROW(ProgressReporter(out, bad), ValueError);
  bad = {};
  bad.log_interval_steps = -1;
  EXPECT_THROW(ProgressReporter(out, bad), ValueError);
  bad = {};
  bad.log_interval_seconds = -2;
  try {
    ProgressReporter reporter(out, bad);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("log_interval_seconds"));
  }
}

}  // namespace
}  // namespace tch::train
