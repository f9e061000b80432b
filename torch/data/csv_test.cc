// File: torch/data/csv_test.cc
//
// CSV loading: headers, label columns by name/index, label kinds, the seeded
// split, standardization, and errors with file:line:column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/data/dataset.h"

namespace tch::data {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

Batch All(const Dataset& d) {
  std::vector<int64_t> idx(static_cast<size_t>(d.size()));
  std::iota(idx.begin(), idx.end(), 0);
  return d.GetBatch(idx);
}

TEST(CsvTest, HeaderLabelByNameAndClassIds) {
  CsvOptions options;
  options.path = Write("a.csv",
                       "x, label ,y\n"
                       "1.5,2,-3\n"
                       "\n"
                       "\"4\",0,+5e-1\r\n");
  options.label_column = std::string("label");
  const CsvDatasets d = LoadCsv(options);
  EXPECT_EQ(d.val, nullptr);
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(d.label_name, "label");
  ASSERT_EQ(d.train->size(), 2);
  EXPECT_EQ(d.train->num_classes(), 3);
  EXPECT_EQ(d.train->input_shape(), (Shape{2}));
  EXPECT_EQ(d.train->target_dtype(), DType::kInt64);
  const Batch b = All(*d.train);
  EXPECT_EQ(b.inputs.ToVector<float>(),
            (std::vector<float>{1.5f, -3.f, 4.f, 0.5f}));
  EXPECT_EQ(b.targets.ToVector<int64_t>(), (std::vector<int64_t>{2, 0}));
}

TEST(CsvTest, NoHeaderLastColumnDefault) {
  CsvOptions options;
  options.path = Write("b.csv", "1,2,3\n4,5,6\n");
  const CsvDatasets d = LoadCsv(options);
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"col1", "col2"}));
  EXPECT_EQ(All(*d.train).targets.ToVector<int64_t>(),
            (std::vector<int64_t>{3, 6}));
  options.header = CsvHeader::kYes;  // the first row is now names
  EXPECT_EQ(LoadCsv(options).train->size(), 1);
  options.label_column = int64_t{0};
  options.header = CsvHeader::kNo;
  EXPECT_EQ(All(*LoadCsv(options).train).targets.ToVector<int64_t>(),
            (std::vector<int64_t>{1, 4}));
}

TEST(CsvTest, RegressionAndClassNames) {
  CsvOptions options;
  options.path = Write("c.csv", "f;t\n1;0.5\n2;7\n");
  options.delimiter = ';';
  CsvDatasets d = LoadCsv(options);
  EXPECT_EQ(d.train->num_classes(), 0);
  EXPECT_EQ(d.train->target_dtype(), DType::kFloat32);
  EXPECT_EQ(All(*d.train).targets.ToVector<float>(),
            (std::vector<float>{0.5f, 7.f}));

  options.path = Write("d.csv", "1,setosa\n2,virginica\n3,setosa\n");
  options.delimiter = ',';
  d = LoadCsv(options);  // no header: text over text is not one
  EXPECT_EQ(d.train->size(), 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "virginica"}));
  EXPECT_EQ(All(*d.train).targets.ToVector<int64_t>(),
            (std::vector<int64_t>{0, 1, 0}));

  options.path = Write("e.csv", "1,2\n3,4\n");
  options.label = CsvLabel::kRegression;
  EXPECT_EQ(LoadCsv(options).train->target_dtype(), DType::kFloat32);
}

TEST(CsvTest, SeededSplitAndStandardization) {
  std::string text = "a,b,label\n";
  for (int i = 0; i < 100; ++i) {
    text += std::to_string(i) + ",7," + std::to_string(i % 3) + "\n";
  }
  CsvOptions options;
  options.path = Write("f.csv", text);
  options.val_fraction = 0.2;
  options.seed = 5;
  options.normalize = true;
  const CsvDatasets d = LoadCsv(options);
  ASSERT_NE(d.val, nullptr);
  EXPECT_EQ(d.train->size(), 80);
  EXPECT_EQ(d.val->size(), 20);
  // Same seed, same split; another seed, another split.
  const CsvDatasets again = LoadCsv(options);
  EXPECT_EQ(All(*again.val).inputs.ToVector<float>(),
            All(*d.val).inputs.ToVector<float>());
  options.seed = 6;
  EXPECT_NE(All(*LoadCsv(options).val).inputs.ToVector<float>(),
            All(*d.val).inputs.ToVector<float>());
  // Train features have mean 0 and std 1; the constant column becomes 0.
  const std::vector<float> x = All(*d.train).inputs.ToVector<float>();
  double sum = 0, sq = 0;
  for (size_t r = 0; r < 80; ++r) {
    sum += x[2 * r];
    sq += x[2 * r] * x[2 * r];
    EXPECT_EQ(x[2 * r + 1], 0.0f);
  }
  EXPECT_NEAR(sum / 80, 0.0, 1e-5);
  EXPECT_NEAR(sq / 80, 1.0, 1e-4);
}

// The message of the error LoadCsv throws for `text`.
template <typename E = IoError>
std::string ErrorOf(const std::string& text, CsvOptions options = {}) {
  options.path = Write("data.csv", text);
  try {
    LoadCsv(options);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

TEST(CsvTest, ErrorsNameFileLineAndColumn) {
  EXPECT_THAT(ErrorOf("a,b,c\n1,2,3\n4,abc,6\n"),
              HasSubstr("data.csv:3:2: expected a number, got \"abc\" "
                        "(column \"b\")"));
  EXPECT_THAT(ErrorOf("1,2,3\n\n1,,3\n"),
              HasSubstr("data.csv:3:2: expected a number, got an empty "
                        "field"));
  EXPECT_THAT(ErrorOf("1,2,3\n4,5\n"),
              HasSubstr("data.csv:2: expected 3 fields, got 2"));
  EXPECT_THAT(ErrorOf("1,\"2,3\n"),
              HasSubstr("data.csv:1:2: unterminated quoted field"));
  EXPECT_THAT(ErrorOf("1,2,3\n4,nan,6\n"),
              HasSubstr("data.csv:2:2: expected a number, got \"nan\""));
  EXPECT_THAT(ErrorOf("\n  \n"), HasSubstr("data.csv: empty CSV file"));
  EXPECT_THAT(ErrorOf("a,b\n"), HasSubstr("data.csv: no data rows"));
  EXPECT_THAT(ErrorOf("1\n2\n"), HasSubstr("expected at least 2 columns"));
  CsvOptions regression;
  regression.label = CsvLabel::kRegression;
  EXPECT_THAT(ErrorOf("1,2\n3,x\n", regression),
              HasSubstr("data.csv:2:2: expected a number for the regression "
                        "label, got \"x\""));
  CsvOptions by_name;
  by_name.label_column = std::string("target");
  EXPECT_THAT(ErrorOf<ValueError>("a,b\n1,2\n", by_name),
              HasSubstr("has no column \"target\"; its columns are \"a\", "
                        "\"b\""));
  EXPECT_THAT(ErrorOf<ValueError>("1,2\n", by_name),
              HasSubstr("has no header row"));
  CsvOptions bad_index;
  bad_index.label_column = int64_t{5};
  EXPECT_THAT(ErrorOf<ValueError>("1,2\n", bad_index),
              HasSubstr("label column index 5 is out of range"));
  CsvOptions bad_fraction;
  bad_fraction.val_fraction = 1.0;
  EXPECT_THAT(ErrorOf<ValueError>("1,2\n", bad_fraction),
              HasSubstr("val_fraction must be in [0, 1)"));
  CsvOptions missing;
  missing.path = ::testing::TempDir() + "missing.csv";
  EXPECT_THROW(LoadCsv(missing), IoError);
}

}  // namespace
}  // namespace tch::data
