// File: torch/data/csv.cc
//
// CSV tables: numeric features plus one label column, with errors that point
// at file:line:column (1-based; the column is the field number).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <utility>

#include "torch/core/error.h"
#include "torch/core/file_util.h"
#include "torch/core/ops.h"
#include "torch/data/dataset.h"
#include "torch/data/random.h"

namespace tch::data {
namespace {

struct Row {
  int64_t line;  // 1-based
  std::vector<std::string> fields;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits one line; a field may be quoted ("a,b" and "" for a quote).
std::vector<std::string> SplitLine(const std::string& path, int64_t line_no,
                                   std::string_view line, char delimiter) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string field;
    // Skip leading blanks to find an opening quote.
    size_t j = i;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
    if (j < line.size() && line[j] == '"') {
      size_t k = j + 1;
      bool closed = false;
      while (k < line.size()) {
        if (line[k] == '"') {
          if (k + 1 < line.size() && line[k + 1] == '"') {
            field.push_back('"');
            k += 2;
            continue;
          }
          closed = true;
          ++k;
          break;
        }
        field.push_back(line[k++]);
      }
      TCH_CHECK_T(IoError, closed, path, ":", line_no, ":", fields.size() + 1,
                  ": unterminated quoted field (quoted fields cannot span "
                  "lines)");
      while (k < line.size() && line[k] != delimiter) {
        TCH_CHECK_T(IoError, Trim(line.substr(k, 1)).empty(), path, ":",
                    line_no, ":", fields.size() + 1,
                    ": unexpected text after a closing quote");
        ++k;
      }
      i = k;
    } else {
      const size_t end = std::min(line.find(delimiter, i), line.size());
      field = std::string(Trim(line.substr(i, end - i)));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the delimiter
  }
  return fields;
}

bool ParseNumber(std::string_view s, double* out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

std::string Quoted(std::string_view s) { return detail::StrCat('"', s, '"'); }

std::vector<Row> ReadRows(const std::string& path, char delimiter) {
  const std::string text = ReadFile(path);
  std::vector<Row> rows;
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (Trim(line).empty()) continue;
    rows.push_back({line_no, SplitLine(path, line_no, line, delimiter)});
  }
  TCH_CHECK_T(IoError, !rows.empty(), path, ": empty CSV file (no rows)");
  return rows;
}

bool DetectHeader(const std::vector<Row>& rows) {
  const std::vector<std::string>& first = rows[0].fields;
  double unused;
  for (size_t j = 0; j < first.size(); ++j) {
    if (ParseNumber(first[j], &unused)) continue;
    // A text field over a number is a header; text over text (a column of
    // class names) says nothing.
    if (rows.size() < 2 || j >= rows[1].fields.size() ||
        ParseNumber(rows[1].fields[j], &unused)) {
      return true;
    }
  }
  return false;
}

int64_t ResolveLabelColumn(const CsvOptions& options,
                           const std::vector<std::string>& names,
                           bool has_header) {
  const int64_t ncols = static_cast<int64_t>(names.size());
  if (const auto* name = std::get_if<std::string>(&options.label_column)) {
    TCH_CHECK(has_header, "LoadCsv: label column ", Quoted(*name),
              " is given by name but ", options.path,
              " has no header row (pass a column index, or header = yes)");
    const auto it = std::find(names.begin(), names.end(), *name);
    if (it == names.end()) {
      std::string all;
      for (const std::string& n : names) {
        all += (all.empty() ? "" : ", ") + Quoted(n);
      }
      throw ValueError(detail::StrCat("LoadCsv: ", options.path,
                                      " has no column ", Quoted(*name),
                                      "; its columns are ", all));
    }
    return it - names.begin();
  }
  int64_t index = std::get<int64_t>(options.label_column);
  const int64_t given = index;
  if (index < 0) index += ncols;
  TCH_CHECK(index >= 0 && index < ncols, "LoadCsv: label column index ", given,
            " is out of range for ", options.path, " with ", ncols, " columns");
  return index;
}

}  // namespace

CsvDatasets LoadCsv(const CsvOptions& options) {
  TCH_CHECK(options.val_fraction >= 0 && options.val_fraction < 1,
            "LoadCsv: val_fraction must be in [0, 1), got ",
            options.val_fraction);
  TCH_CHECK(options.delimiter != '"' && options.delimiter != '\n',
            "LoadCsv: the delimiter cannot be a quote or a newline");
  const std::string& path = options.path;
  std::vector<Row> rows = ReadRows(path, options.delimiter);
  const bool has_header =
      options.header == CsvHeader::kYes ||
      (options.header == CsvHeader::kAuto && DetectHeader(rows));
  const int64_t ncols = static_cast<int64_t>(rows[0].fields.size());
  std::vector<std::string> names;
  for (int64_t j = 0; j < ncols; ++j) {
    names.push_back(has_header ? rows[0].fields[static_cast<size_t>(j)]
                               : detail::StrCat("col", j + 1));
  }
  const size_t first_data = has_header ? 1 : 0;
  TCH_CHECK_T(IoError, rows.size() > first_data, path,
              ": no data rows after the header");
  const int64_t label_col = ResolveLabelColumn(options, names, has_header);
  TCH_CHECK_T(IoError, ncols >= 2, path, ":", rows[0].line,
              ": expected at least 2 columns (features and a label), got ",
              ncols);
  const int64_t n = static_cast<int64_t>(rows.size() - first_data);
  const int64_t nf = ncols - 1;

  // Features (row-major doubles for the statistics) and raw label fields.
  std::vector<double> features(static_cast<size_t>(n * nf));
  std::vector<std::string> label_text(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    Row& row = rows[first_data + static_cast<size_t>(r)];
    TCH_CHECK_T(IoError, static_cast<int64_t>(row.fields.size()) == ncols, path,
                ":", row.line, ": expected ", ncols, " fields, got ",
                row.fields.size());
    int64_t f = 0;
    for (int64_t j = 0; j < ncols; ++j) {
      std::string& field = row.fields[static_cast<size_t>(j)];
      if (j == label_col) {
        label_text[static_cast<size_t>(r)] = std::move(field);
        continue;
      }
      double v;
      TCH_CHECK_T(IoError, ParseNumber(field, &v), path, ":", row.line, ":",
                  j + 1, ": expected a number, got ",
                  field.empty() ? std::string("an empty field") : Quoted(field),
                  has_header ? " (column " + Quoted(names[j]) + ")" : "");
      features[static_cast<size_t>(r * nf + f++)] = v;
    }
  }

  // Labels: integer ids, names, or regression values.
  std::vector<double> label_value(static_cast<size_t>(n));
  bool all_numbers = true;
  bool all_ids = true;
  for (int64_t r = 0; r < n; ++r) {
    double v;
    if (!ParseNumber(label_text[static_cast<size_t>(r)], &v)) {
      all_numbers = all_ids = false;
      TCH_CHECK_T(IoError, options.label != CsvLabel::kRegression, path, ":",
                  rows[first_data + static_cast<size_t>(r)].line, ":",
                  label_col + 1,
                  ": expected a number for the regression label, got ",
                  Quoted(label_text[static_cast<size_t>(r)]));
      continue;
    }
    label_value[static_cast<size_t>(r)] = v;
    if (v < 0 || v != std::floor(v) || v >= (1 << 24)) all_ids = false;
  }
  CsvDatasets out;
  out.label_name = names[static_cast<size_t>(label_col)];
  for (int64_t j = 0; j < ncols; ++j) {
    if (j != label_col) out.feature_names.push_back(names[j]);
  }
  const bool regression =
      options.label == CsvLabel::kRegression ||
      (options.label == CsvLabel::kAuto && all_numbers && !all_ids);
  const bool by_name = !regression && !all_ids;
  int64_t num_classes = 0;
  if (by_name) {
    out.class_names = label_text;
    std::sort(out.class_names.begin(), out.class_names.end());
    out.class_names.erase(
        std::unique(out.class_names.begin(), out.class_names.end()),
        out.class_names.end());
    for (int64_t r = 0; r < n; ++r) {
      const auto it =
          std::lower_bound(out.class_names.begin(), out.class_names.end(),
                           label_text[static_cast<size_t>(r)]);
      label_value[static_cast<size_t>(r)] =
          static_cast<double>(it - out.class_names.begin());
    }
    num_classes = static_cast<int64_t>(out.class_names.size());
  } else if (!regression) {
    for (double v : label_value) {
      num_classes = std::max(num_classes, static_cast<int64_t>(v) + 1);
    }
  }

  // Seeded split: a shuffled set of rows is val; both keep file order.
  std::vector<int64_t> val_rows;
  std::vector<int64_t> train_rows(static_cast<size_t>(n));
  std::iota(train_rows.begin(), train_rows.end(), 0);
  if (options.val_fraction > 0) {
    TCH_CHECK(n >= 2, "LoadCsv: ", path, " has ", n,
              " data row(s); a validation split needs at least 2");
    int64_t nv = std::llround(static_cast<double>(n) * options.val_fraction);
    nv = std::clamp<int64_t>(nv, 1, n - 1);
    Rng rng(HashCombine(options.seed, 0x637376ull));
    std::vector<int64_t> perm = train_rows;
    for (int64_t i = n - 1; i > 0; --i) {
      std::swap(perm[static_cast<size_t>(i)],
                perm[static_cast<size_t>(rng.UniformInt(i + 1))]);
    }
    val_rows.assign(perm.begin(), perm.begin() + nv);
    train_rows.assign(perm.begin() + nv, perm.end());
    std::sort(val_rows.begin(), val_rows.end());
    std::sort(train_rows.begin(), train_rows.end());
  }

  std::vector<double> mean(static_cast<size_t>(nf), 0.0);
  std::vector<double> inv_std(static_cast<size_t>(nf), 1.0);
  if (options.normalize) {
    const double count = static_cast<double>(train_rows.size());
    for (int64_t f = 0; f < nf; ++f) {
      double sum = 0;
      for (int64_t r : train_rows) sum += features[r * nf + f];
      const double m = sum / count;
      double sq = 0;
      for (int64_t r : train_rows) {
        sq += (features[r * nf + f] - m) * (features[r * nf + f] - m);
      }
      const double sd = std::sqrt(sq / count);
      mean[f] = m;
      inv_std[f] = sd > 0 ? 1.0 / sd : 1.0;  // constant column: just center
    }
  }

  auto make = [&](const std::vector<int64_t>& which, std::string_view split) {
    const int64_t m = static_cast<int64_t>(which.size());
    Tensor x = tch::empty({m, nf});
    Tensor y = tch::empty({m}, regression ? DType::kFloat32 : DType::kInt64);
    float* xp = x.data_ptr<float>();
    for (int64_t k = 0; k < m; ++k) {
      const int64_t r = which[static_cast<size_t>(k)];
      for (int64_t f = 0; f < nf; ++f) {
        xp[k * nf + f] =
            static_cast<float>((features[r * nf + f] - mean[f]) * inv_std[f]);
      }
      if (regression) {
        y.data_ptr<float>()[k] = static_cast<float>(label_value[r]);
      } else {
        y.data_ptr<int64_t>()[k] = static_cast<int64_t>(label_value[r]);
      }
    }
    std::string description = detail::StrCat(
        "csv ", path, " ", split, ": ", m, " examples [", nf,
        "] float32, label ", Quoted(out.label_name),
        regression ? std::string(" (regression)")
                   : detail::StrCat(" (", num_classes, " classes)"),
        options.normalize ? ", standardized" : "");
    return MakeTensorDataset(std::move(x), std::move(y), num_classes,
                             std::move(description));
  };
  out.train = make(train_rows, "train");
  if (!val_rows.empty()) out.val = make(val_rows, "val");
  return out;
}

}  // namespace tch::data
