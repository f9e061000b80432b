// File: torch/data/dataset.h
//
// Datasets for `tch train`: an abstract random-access `Dataset` that returns
// whole batches, and the concrete datasets tch ships:
//
//   * IDX files (MNIST format, plain or gzip) and Fashion-MNIST from the
//     Debian package `dataset-fashion-mnist`;
//   * CSV tables (numeric features + one label column);
//   * text for language modelling (byte or char vocabulary);
//   * seeded synthetic Gaussian blobs for smoke tests.
//
// Every dataset holds its examples in memory as contiguous rows, so
// `GetBatch` is one memcpy (or one table lookup per byte) per example. All
// datasets are immutable after construction and `GetBatch` is thread-safe.
//
// Conventions of a Batch (B = number of indices):
//   images (IDX, Fashion-MNIST, synthetic): inputs float32 [B, ...shape],
//       targets int64 [B] class ids in [0, num_classes).
//   CSV: inputs float32 [B, F]; targets int64 [B] class ids when the label
//       column holds only integers >= 0 (num_classes = max + 1) or names
//       (ids = positions in the sorted names), otherwise float32 [B]
//       regression values (num_classes = 0). See CsvLabel.
//   text: inputs int64 [B, T] token ids, targets int64 [B, T] the next token
//       of each position (inputs shifted by one); num_classes = 0 and
//       vocab_size() > 0.
//
// Example:
//   auto train = tch::data::FashionMnist({.split = tch::data::Split::kTrain});
//   std::vector<int64_t> idx = {0, 1, 2};
//   tch::data::Batch b = train->GetBatch(idx);  // inputs [3, 1, 28, 28]
//
// Errors: a missing, unreadable or malformed file throws tch::IoError naming
// the file and what was wrong ("t10k-images-idx3-ubyte.gz: truncated:
// expected 7840000 bytes of pixel data, got 1000"; "data.csv:17:3: expected
// a number, got \"abc\""); bad options throw tch::ValueError naming the
// option; an index outside [0, size()) in GetBatch throws tch::IndexError.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "torch/core/dtype.h"
#include "torch/core/tensor.h"

namespace tch::data {

// One batch: `size` examples stacked along dim 0 of `inputs` and `targets`.
struct Batch {
  Tensor inputs = {};
  Tensor targets = {};
  int64_t size = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;

  // Number of examples.
  virtual int64_t size() const = 0;

  // The examples at `indices` (any order, repeats allowed), stacked. Throws
  // tch::IndexError for an index outside [0, size()).
  virtual Batch GetBatch(std::span<const int64_t> indices) const = 0;

  // Shape and dtype of one example's input (without the batch dim), for
  // building the model: [1, 28, 28] float32 for Fashion-MNIST, [T] int64 for
  // text, [F] float32 for CSV.
  virtual Shape input_shape() const = 0;
  virtual DType input_dtype() const = 0;

  // Shape and dtype of one example's target: [] int64 for classification,
  // [] float32 for regression, [T] int64 for text.
  virtual Shape target_shape() const = 0;
  virtual DType target_dtype() const = 0;

  // Number of classes for classification; 0 for language modelling and
  // regression.
  virtual int64_t num_classes() const { return 0; }

  // Vocabulary size for token datasets (text); 0 otherwise.
  virtual int64_t vocab_size() const { return 0; }

  // The input value of an empty ("black") pixel after the dataset's
  // normalization: what augmentation pads with. 0 unless normalized.
  virtual float background_value() const { return 0.0f; }

  // One line for logs: "fashion-mnist train: 60000 examples [1, 28, 28] ...".
  virtual std::string description() const = 0;
};

// Which part of a dataset to load.
enum class Split { kTrain, kTest, kVal };
std::string_view SplitName(Split split);  // "train", "test", "val"

// --- In-memory tensors --------------------------------------------------

// A dataset over two tensors with the same size of dim 0: example i is
// (inputs[i], targets[i]). Both are made contiguous on construction. Used by
// the CSV, IDX and synthetic loaders; handy in tests.
// Throws ValueError when the dim-0 sizes differ or a tensor is 0-D.
std::shared_ptr<const Dataset> MakeTensorDataset(Tensor inputs, Tensor targets,
                                                 int64_t num_classes,
                                                 std::string description);

// --- IDX / Fashion-MNIST -------------------------------------------------

// How IDX pixels (unsigned bytes) become float32 inputs:
//   x = (byte / 255 - mean) / std   when normalize,
//   x = byte / 255                  otherwise.
struct IdxOptions {
  bool normalize = false;
  double mean = 0.0;
  double std = 1.0;
  // Only the first `limit` examples are loaded (0 = all): fast tests.
  int64_t limit = 0;
  std::string name = "idx";  // first word of description()
};

// Loads an image file (magic 0x00000803: unsigned bytes, [N, H, W]) and a
// label file (magic 0x00000801: unsigned bytes, [N]); files ending in ".gz"
// (or starting with the gzip magic) are decompressed transparently.
// Inputs are float32 [N, 1, H, W] (one channel); num_classes = max label + 1
// (at least 1).
// Throws IoError naming the file: missing/unreadable, bad magic, element
// type other than unsigned byte, wrong number of dims, a zero dim, truncated
// data, trailing bytes, corrupt gzip, or image and label counts that differ.
std::shared_ptr<const Dataset> LoadIdx(const std::string& images_path,
                                       const std::string& labels_path,
                                       const IdxOptions& options = {});

// The raw contents of one IDX file with unsigned-byte elements: a uint8
// tensor whose sizes are the file's dims. Errors as LoadIdx.
Tensor ReadIdxFile(const std::string& path);

inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";
inline constexpr double kFashionMnistMean = 0.2860;
inline constexpr double kFashionMnistStd = 0.3530;

struct FashionMnistOptions {
  std::string dir = kFashionMnistDir;
  Split split = Split::kTrain;  // kTrain (60000) or kTest (10000)
  bool normalize = true;        // with the mean/std below
  double mean = kFashionMnistMean;
  double std = kFashionMnistStd;
  int64_t limit = 0;  // as IdxOptions::limit
};

// Fashion-MNIST from `dir` ({train,t10k}-{images-idx3,labels-idx1}-ubyte.gz,
// or the same names without .gz). Inputs [1, 28, 28], 10 classes.
// Throws IoError when the files are missing, telling the user to install the
// Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist,
// or ci/setup.sh); ValueError for Split::kVal.
std::shared_ptr<const Dataset> FashionMnist(
    const FashionMnistOptions& options = {});

// "T-shirt/top", "Trouser", ..., "Ankle boot" (index = class id).
const std::vector<std::string>& FashionMnistClassNames();

// --- CSV -----------------------------------------------------------------

enum class CsvHeader {
  kAuto,  // a header iff some field of the first row is not a number
  kYes,
  kNo,
};

enum class CsvLabel {
  // Class ids if every label is an integer >= 0; class names (see
  // CsvDatasets::class_names) if some label is not a number; otherwise
  // float32 regression values.
  kAuto,
  // Class ids if every label is an integer >= 0, otherwise class names.
  kClassification,
  kRegression,  // float32 values; every label must be a number
};

struct CsvOptions {
  std::string path = {};
  // The label column: a header name, or a 0-based index (negative counts
  // from the end: -1 is the last column, the default).
  std::variant<std::string, int64_t> label_column = int64_t{-1};
  CsvHeader header = CsvHeader::kAuto;
  char delimiter = ',';
  CsvLabel label = CsvLabel::kAuto;
  // Standardize each feature with the mean/std of the train rows (applied to
  // both splits; a constant column gets std 1).
  bool normalize = false;
  // The fraction of rows (after a seeded shuffle) that form the validation
  // split; 0 keeps every row in train (and val is null).
  double val_fraction = 0.0;
  uint64_t seed = 0;
};

struct CsvDatasets {
  std::shared_ptr<const Dataset> train;
  std::shared_ptr<const Dataset> val;      // null when val_fraction == 0
  std::vector<std::string> feature_names;  // "col3" style without a header
  std::string label_name;
  // The label strings, sorted (class id = position), when the label column
  // holds names ("setosa", ...) rather than numbers; empty otherwise.
  std::vector<std::string> class_names;
};

// Reads a CSV file: every column except the label must be numeric. Blank
// lines are skipped; fields may be quoted ("1.5"); surrounding spaces are
// ignored. Throws IoError with file:line:column (1-based) for a field that
// is not a number ("data.csv:17:3: expected a number, got \"abc\""), a row
// with the wrong number of fields, an empty file; ValueError for a label
// column that does not exist or a val_fraction outside [0, 1).
CsvDatasets LoadCsv(const CsvOptions& options);

// --- Text / language modelling -------------------------------------------

// A token vocabulary. kByte: the 256 byte values, token id = byte value.
// kChar: the sorted set of UTF-8 characters (code points) seen in the
// training text, token id = position in that list.
class Vocab {
 public:
  enum class Kind { kByte, kChar };

  static Vocab Bytes();
  // The characters of `text` (UTF-8). Throws ValueError naming the byte
  // offset of invalid UTF-8.
  static Vocab Chars(std::string_view text);
  // From a token list as returned by tokens() (kChar), or 256 one-byte
  // strings (kByte). Throws ValueError for duplicates or multi-character
  // tokens.
  static Vocab FromTokens(Kind kind, std::vector<std::string> tokens);

  Kind kind() const { return kind_; }
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  // Token id -> its UTF-8 text (kByte: one raw byte).
  const std::vector<std::string>& tokens() const { return tokens_; }

  // Throws ValueError for a character not in the vocabulary, naming it and
  // its byte offset.
  std::vector<int64_t> Encode(std::string_view text) const;
  // Throws IndexError for an id outside [0, size()).
  std::string Decode(std::span<const int64_t> ids) const;

  // JSON: {"kind": "char", "tokens": ["\n", " ", "!", ...]}; kByte stores
  // no tokens. Save writes atomically; Load/FromJson throw IoError naming
  // the file (or "vocab JSON") for malformed contents.
  std::string ToJson() const;
  static Vocab FromJson(std::string_view json);
  void Save(const std::string& path) const;
  static Vocab Load(const std::string& path);

 private:
  Kind kind_ = Kind::kByte;
  std::vector<std::string> tokens_;
  // Token id of each byte value (kByte) or ASCII character (kChar); -1 if
  // none.
  std::vector<int32_t> byte_to_id_;
  // kChar: (code point, token id) sorted by code point, for the rest.
  std::vector<std::pair<uint32_t, int32_t>> code_point_ids_;
};

inline constexpr char kFortunesDir[] = "/usr/share/games/fortunes";

struct TextOptions {
  // Files concatenated in order (a directory is expanded to its regular
  // files, sorted, skipping *.dat and *.u8 index/duplicate files).
  std::vector<std::string> paths = {};
  Vocab::Kind vocab = Vocab::Kind::kChar;
  // When set, this vocabulary is used instead of one built from the text
  // (e.g. the one saved with a checkpoint); characters outside it are errors.
  std::optional<Vocab> fixed_vocab = {};
  int64_t context_length = 64;  // T
  // The last `val_fraction` of the token stream is the validation split.
  double val_fraction = 0.1;
};

// A token stream cut into non-overlapping windows: example i has inputs
// tokens[i*T, i*T+T) and targets tokens[i*T+1, i*T+T+1); size() is
// (n_tokens - 1) / T.
class TextDataset : public Dataset {
 public:
  TextDataset(std::vector<int64_t> tokens, std::shared_ptr<const Vocab> vocab,
              int64_t context_length, std::string description);
  int64_t size() const override;
  Batch GetBatch(std::span<const int64_t> indices) const override;
  Shape input_shape() const override { return {context_length_}; }
  DType input_dtype() const override { return DType::kInt64; }
  Shape target_shape() const override { return {context_length_}; }
  DType target_dtype() const override { return DType::kInt64; }
  int64_t vocab_size() const override { return vocab_->size(); }
  std::string description() const override { return description_; }

  const Vocab& vocab() const { return *vocab_; }
  const std::vector<int64_t>& tokens() const { return tokens_; }

 private:
  std::vector<int64_t> tokens_;
  std::shared_ptr<const Vocab> vocab_;
  int64_t context_length_;
  std::string description_;
};

struct TextDatasets {
  std::shared_ptr<const TextDataset> train;
  std::shared_ptr<const TextDataset> val;  // null when val_fraction == 0
  std::shared_ptr<const Vocab> vocab;
};

// Reads and tokenizes the files. The char vocabulary is built from the whole
// text (both splits), so validation has no unknown characters. Throws
// IoError for a missing/unreadable file (for the fortunes directory: install
// the Debian package fortunes), ValueError for context_length < 1, a
// val_fraction outside [0, 1), or a split too short for one window.
TextDatasets LoadText(const TextOptions& options);

// --- Synthetic -----------------------------------------------------------

// Gaussian blobs: class c has a random center (standard normal times
// `separation` per input element); an example of class c is center[c] plus
// standard normal noise times `noise`. Labels cycle 0, 1, ..., so classes
// are balanced. A pure function of the options: same seed, same data.
struct SyntheticOptions {
  Shape input_shape = {8};
  int64_t num_classes = 4;
  int64_t size = 1024;
  double separation = 1.0;
  double noise = 0.5;
  uint64_t seed = 0;
};

// Throws ValueError for size < 1, num_classes < 1 or an empty/non-positive
// input_shape.
std::shared_ptr<const Dataset> Synthetic(const SyntheticOptions& options);

}  // namespace tch::data
