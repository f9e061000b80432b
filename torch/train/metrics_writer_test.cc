// File: torch/train/metrics_writer_test.cc
#include "torch/train/metrics_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "torch/core/error.h"
#include "torch/core/file_util.h"

namespace tch::train {
namespace {

using ::testing::HasSubstr;

std::string MakeTempDir(const std::string& name) {
  std::string tmpl = ::testing::TempDir() + name + ".XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  return tmpl;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void AppendRaw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << bytes;
}

MetricsWriterOptions NoTiming() {
  MetricsWriterOptions options;
  options.record_wall_time = false;
  return options;
}

MetricsWriterOptions AppendMode() {
  MetricsWriterOptions options;
  options.mode = MetricsFileMode::kAppend;
  return options;
}

MetricRecord Train(int64_t step, double loss) {
  return {step, step / 4, "train", {{"loss", loss}, {"lr", 0.1}}};
}

TEST(MetricsWriterTest, JsonLineHasFixedKeyOrder) {
  MetricRecord record(10, 2, "train", {{"lr", 0.1}, {"loss", 0.5}, {"a", 1.0}});
  // step, epoch, split, then names sorted; 1.0 keeps its decimal point.
  EXPECT_EQ(FormatMetricsJsonLine(record),
            "{\"step\":10,\"epoch\":2,\"split\":\"train\",\"a\":1.0,"
            "\"loss\":0.5,\"lr\":0.1}\n");
}

TEST(MetricsWriterTest, DoublesRoundTripBitExactly) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    if (!std::isfinite(value)) continue;
    std::string text = FormatMetricValueJson(value);
    double back = std::strtod(text.c_str(), nullptr);
    ASSERT_EQ(std::memcmp(&back, &value, sizeof(value)), 0)
        << text << " for bits " << bits;
  }
  EXPECT_EQ(FormatMetricValueJson(0.1), "0.1");
  EXPECT_EQ(FormatMetricValueJson(-0.0), "-0.0");
  EXPECT_EQ(FormatMetricValueJson(std::nan("")), "\"NaN\"");
  EXPECT_EQ(FormatMetricValueJson(HUGE_VAL), "\"Infinity\"");
  EXPECT_EQ(FormatMetricValueJson(-HUGE_VAL), "\"-Infinity\"");
}

TEST(MetricsWriterTest, WritesJsonlCsvAndTiming) {
  std::string dir = MakeTempDir("metrics_basic");
  {
    MetricsWriter writer(dir);
    writer.Append(Train(1, 0.75));
    writer.Append({1,
                   0,
                   "eval",
                   {{"loss", std::nan("")}, {"accuracy", 0.5}},
                   1700000000.25});
    writer.Flush();
  }
  EXPECT_EQ(ReadFile(dir + "/metrics.jsonl"),
            "{\"step\":1,\"epoch\":0,\"split\":\"train\",\"loss\":0.75,"
            "\"lr\":0.1}\n"
            "{\"step\":1,\"epoch\":0,\"split\":\"eval\",\"accuracy\":0.5,"
            "\"loss\":\"NaN\"}\n");
  // "accuracy" appeared in the second record: the header widened and the
  // first row got an empty cell.
  EXPECT_EQ(ReadFile(dir + "/metrics.csv"),
            "step,epoch,split,accuracy,loss,lr\n"
            "1,0,train,,0.75,0.1\n"
            "1,0,eval,0.5,nan,\n");
  std::string timing = ReadFile(dir + "/timing.jsonl");
  EXPECT_THAT(timing, HasSubstr("{\"step\":1,\"epoch\":0,\"split\":\"eval\","
                                "\"wall_time\":1700000000.25}\n"));
  EXPECT_EQ(std::count(timing.begin(), timing.end(), '\n'), 2);

  std::vector<MetricRecord> back = ReadMetricsJsonl(dir + "/metrics.jsonl");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], Train(1, 0.75));
  EXPECT_TRUE(std::isnan(back[1].values.at("loss")));
  EXPECT_EQ(back[1].values.at("accuracy"), 0.5);
}

TEST(MetricsWriterTest, CsvColumnsDependOnlyOnTheSetOfNames) {
  std::string a = MakeTempDir("metrics_order_a");
  std::string b = MakeTempDir("metrics_order_b");
  {
    MetricsWriter wa(a, NoTiming());
    wa.Append({1, 0, "train", {{"x", 1}}});
    wa.Append({2, 0, "train", {{"y", 2}}});
    MetricsWriter wb(b, NoTiming());
    wb.Append({1, 0, "train", {{"x", 1}, {"y", 2}}});
  }
  EXPECT_EQ(ReadFile(a + "/metrics.csv"),
            "step,epoch,split,x,y\n1,0,train,1,\n2,0,train,,2\n");
  EXPECT_EQ(ReadFile(b + "/metrics.csv"),
            "step,epoch,split,x,y\n1,0,train,1,2\n");
  EXPECT_FALSE(Exists(a + "/timing.jsonl"));
}

TEST(MetricsWriterTest, CsvQuotesNamesWithCommasAndQuotes) {
  std::string dir = MakeTempDir("metrics_quote");
  {
    MetricsWriter writer(dir, NoTiming());
    writer.Append({3, 0, "eval,b", {{"top\"1\",acc", 0.25}}});
  }
  EXPECT_EQ(ReadFile(dir + "/metrics.csv"),
            "step,epoch,split,\"top\"\"1\"\",acc\"\n"
            "3,0,\"eval,b\",0.25\n");
}

// The resume contract: crash after step 9 (with a torn line), resume from
// the checkpoint at step 6, log 7..12 again: files equal an uninterrupted
// run. "accuracy" first appears at step 8, after the checkpoint, so the CSV
// header must also go back to what it was at step 6.
TEST(MetricsWriterTest, ResumeProducesIdenticalFiles) {
  auto log_step = [](MetricsWriter& writer, int64_t step) {
    writer.Append(Train(step, 1.0 / static_cast<double>(step)));
    if (step % 8 == 0) {
      writer.Append({step,
                     step / 4,
                     "eval",
                     {{"loss", 0.3 * step}, {"accuracy", step / 13.0}}});
    }
    if (step % 3 == 0) writer.Flush();  // "checkpoints"
  };
  std::string full = MakeTempDir("metrics_full");
  {
    MetricsWriter writer(full);
    for (int64_t step = 1; step <= 12; ++step) log_step(writer, step);
  }
  std::string upto6 = MakeTempDir("metrics_upto6");
  {
    MetricsWriter writer(upto6);
    for (int64_t step = 1; step <= 6; ++step) log_step(writer, step);
  }
  std::string resumed = MakeTempDir("metrics_resumed");
  {
    MetricsWriter writer(resumed);
    for (int64_t step = 1; step <= 9; ++step) log_step(writer, step);
  }
  // A crash in the middle of a write() leaves a torn line.
  AppendRaw(resumed + "/metrics.jsonl", "{\"step\":10,\"epo");
  AppendRaw(resumed + "/timing.jsonl", "{\"st");
  {
    MetricsWriter writer(resumed, AppendMode());
    EXPECT_TRUE(writer.metric_names().count("accuracy"));
    writer.TruncateAfterStep(6);
    EXPECT_FALSE(writer.metric_names().count("accuracy"));
    EXPECT_EQ(ReadMetricsJsonl(resumed + "/metrics.jsonl").back().step, 6);
    // Right after truncation the files equal a run that stopped at step 6.
    EXPECT_EQ(ReadFile(resumed + "/metrics.jsonl"),
              ReadFile(upto6 + "/metrics.jsonl"));
    EXPECT_EQ(ReadFile(resumed + "/metrics.csv"),
              ReadFile(upto6 + "/metrics.csv"));
    for (int64_t step = 7; step <= 12; ++step) log_step(writer, step);
  }
  EXPECT_EQ(ReadFile(resumed + "/metrics.jsonl"),
            ReadFile(full + "/metrics.jsonl"));
  EXPECT_EQ(ReadFile(resumed + "/metrics.csv"),
            ReadFile(full + "/metrics.csv"));
  // timing.jsonl lists the same (step, split) sequence.
  auto steps_of = [](const std::string& path) {
    std::string text = ReadFile(path), out;
    for (size_t pos = 0;
         (pos = text.find("\"step\":", pos)) != std::string::npos; ++pos) {
      out += text.substr(pos, text.find(",\"wall", pos) - pos) + ";";
    }
    return out;
  };
  EXPECT_EQ(steps_of(resumed + "/timing.jsonl"),
            steps_of(full + "/timing.jsonl"));
}

TEST(MetricsWriterTest, AppendModeKeepsRecordsAndTruncateModeClears) {
  std::string dir = MakeTempDir("metrics_modes");
  {
    MetricsWriter writer(dir);
    writer.Append(Train(1, 0.5));
  }
  {
    MetricsWriter writer(dir, AppendMode());
    writer.Append(Train(2, 0.25));
  }
  EXPECT_EQ(ReadMetricsJsonl(dir + "/metrics.jsonl").size(), 2u);
  EXPECT_EQ(ReadFile(dir + "/metrics.csv"),
            "step,epoch,split,loss,lr\n1,0,train,0.5,0.1\n"
            "2,0,train,0.25,0.1\n");
  {
    MetricsWriter writer(dir);
    writer.TruncateAfterStep(-1);
  }
  EXPECT_EQ(ReadFile(dir + "/metrics.jsonl"), "");
  EXPECT_EQ(ReadFile(dir + "/metrics.csv"), "step,epoch,split\n");
}

TEST(MetricsWriterTest, RejectsInvalidRecords) {
  std::string dir = MakeTempDir("metrics_invalid");
  MetricsWriter writer(dir);
  EXPECT_THROW(writer.Append({1, 0, "train", {{"step", 1}}}), ValueError);
  EXPECT_THROW(writer.Append({1, 0, "train", {{"wall_time", 1}}}), ValueError);
  EXPECT_THROW(writer.Append({1, 0, "train", {{"", 1}}}), ValueError);
  EXPECT_THROW(writer.Append({1, 0, "train", {{"a\nb", 1}}}), ValueError);
  EXPECT_THROW(writer.Append({1, 0, "", {}}), ValueError);
  EXPECT_THROW(writer.Append({1, 0, "tr\tain", {}}), ValueError);
  try {
    writer.Append({5, 0, "train", {{"epoch", 1}}});
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'epoch'"));
    EXPECT_THAT(e.what(), HasSubstr("reserved"));
  }
  // Nothing was written by the rejected records.
  EXPECT_EQ(ReadFile(dir + "/metrics.jsonl"), "");
}

TEST(MetricsWriterTest, MalformedLineNamesFileAndLine) {
  std::string dir = MakeTempDir("metrics_malformed");
  AppendRaw(dir + "/metrics.jsonl",
            "{\"step\":1,\"epoch\":0,\"split\":\"train\",\"loss\":1.0}\n"
            "not json\n"
            "{\"step\":3,\"epoch\":0,\"split\":\"train\"}\n");
  try {
    MetricsWriter writer(dir, AppendMode());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("metrics.jsonl:2"));
  }
  std::string dir2 = MakeTempDir("metrics_badvalue");
  AppendRaw(dir2 + "/metrics.jsonl",
            "{\"step\":1,\"epoch\":0,\"split\":\"train\",\"loss\":\"x\"}\n");
  EXPECT_THROW(ReadMetricsJsonl(dir2 + "/metrics.jsonl"), IoError);
}

TEST(MetricsWriterTest, MissingDirectoryIsAnIoError) {
  EXPECT_THROW(MetricsWriter(::testing::TempDir() + "/no/such/dir"), IoError);
}

}  // namespace
}  // namespace tch::train
