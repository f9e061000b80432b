// File: torch/data/text_test.cc
//
// Vocabularies (byte, char; JSON round trip), text windows and splits, and
// the Debian fortunes as a real corpus.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "torch/core/error.h"
#include "torch/data/dataset.h"

namespace tch::data {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(VocabTest, CharVocabIsTheSortedSetOfCharacters) {
  const std::string text = "héllo wörld\n€";
  const Vocab v = Vocab::Chars(text);
  EXPECT_EQ(v.kind(), Vocab::Kind::kChar);
  EXPECT_EQ(v.tokens(), (std::vector<std::string>{"\n", " ", "d", "h", "l", "o",
                                                  "r", "w", "é", "ö", "€"}));
  const std::vector<int64_t> ids = v.Encode(text);
  EXPECT_EQ(ids.size(), 13u);  // characters, not bytes
  EXPECT_EQ(ids[0], 3);        // 'h'
  EXPECT_EQ(ids[1], 8);        // 'é'
  EXPECT_EQ(v.Decode(ids), text);
}

TEST(VocabTest, JsonRoundTripKeepsIdsAndDecoding) {
  const std::string text = "a \"quoted\" \\ tab\t ünïcode 🙂\n";
  const Vocab v = Vocab::Chars(text);
  const std::string path = ::testing::TempDir() + "vocab.json";
  v.Save(path);
  const Vocab loaded = Vocab::Load(path);
  EXPECT_EQ(loaded.tokens(), v.tokens());
  EXPECT_EQ(loaded.Encode(text), v.Encode(text));
  EXPECT_EQ(loaded.Decode(v.Encode(text)), text);
  const Vocab bytes = Vocab::FromJson(Vocab::Bytes().ToJson());
  EXPECT_EQ(bytes.kind(), Vocab::Kind::kByte);
  EXPECT_EQ(bytes.size(), 256);
  // Any token order is accepted; ids are positions.
  const Vocab custom = Vocab::FromTokens(Vocab::Kind::kChar, {"b", "a"});
  EXPECT_EQ(custom.Encode("ab"), (std::vector<int64_t>{1, 0}));
}

TEST(VocabTest, ByteVocabRoundTripsAnyBytes) {
  const Vocab v = Vocab::Bytes();
  const std::string text("\xff\x00\x80z", 4);
  const std::vector<int64_t> ids = v.Encode(text);
  EXPECT_EQ(ids, (std::vector<int64_t>{255, 0, 128, 122}));
  EXPECT_EQ(v.Decode(ids), text);
}

TEST(VocabTest, Errors) {
  const Vocab v = Vocab::Chars("abc");
  try {
    v.Encode("abz");
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("character \"z\" (U+007A) at byte offset "
                                    "2 is not in the vocabulary of 3"));
  }
  const std::vector<int64_t> bad = {3};
  EXPECT_THROW(v.Decode(bad), IndexError);
  EXPECT_THROW(Vocab::Chars("a\xff"), ValueError);
  EXPECT_THROW(Vocab::Chars("\xc0\x80"), ValueError);  // overlong NUL
  EXPECT_THROW(Vocab::FromTokens(Vocab::Kind::kChar, {"a", "a"}), ValueError);
  EXPECT_THROW(Vocab::FromTokens(Vocab::Kind::kChar, {"ab"}), ValueError);
  EXPECT_THROW(Vocab::FromJson("[1, 2]"), IoError);
  EXPECT_THROW(Vocab::FromJson("{\"kind\": \"word\"}"), IoError);
  EXPECT_THROW(Vocab::FromJson("{\"kind\": \"char\", \"tokens\": [1]}"),
               IoError);
  const std::string path = Write("bad_vocab.json", "{not json");
  try {
    Vocab::Load(path);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("bad_vocab.json: vocab JSON: cannot "
                                    "parse"));
  }
}

TEST(TextDatasetTest, WindowsAndShiftedTargets) {
  TextOptions options;
  options.paths = {Write("t.txt", "abcdefghij")};  // 10 chars
  options.context_length = 3;
  options.val_fraction = 0.0;
  const TextDatasets d = LoadText(options);
  EXPECT_EQ(d.val, nullptr);
  ASSERT_EQ(d.train->size(), 3);  // (10 - 1) / 3
  EXPECT_EQ(d.train->input_shape(), (Shape{3}));
  EXPECT_EQ(d.train->input_dtype(), DType::kInt64);
  EXPECT_EQ(d.train->vocab_size(), 10);
  EXPECT_EQ(d.train->num_classes(), 0);
  const std::vector<int64_t> idx = {2, 0};
  const Batch b = d.train->GetBatch(idx);
  EXPECT_EQ(b.inputs.sizes(), (Shape{2, 3}));
  EXPECT_EQ(d.vocab->Decode(b.inputs.ToVector<int64_t>()), "ghiabc");
  EXPECT_EQ(d.vocab->Decode(b.targets.ToVector<int64_t>()), "hijbcd");
  const std::vector<int64_t> out_of_range = {3};
  EXPECT_THROW(d.train->GetBatch(out_of_range), IndexError);
}

TEST(TextDatasetTest, ValIsTheLastFractionAndFilesConcatenate) {
  TextOptions options;
  options.paths = {Write("u1.txt", "0123456789"),
                   Write("u2.txt", "abcdefghij")};
  options.context_length = 2;
  options.val_fraction = 0.25;  // 5 of 20 tokens
  const TextDatasets d = LoadText(options);
  EXPECT_EQ(d.train->tokens().size(), 15u);
  EXPECT_EQ(d.vocab->Decode(d.val->tokens()), "fghij");
  EXPECT_EQ(d.val->size(), 2);
  EXPECT_EQ(d.train->size(), 7);
  // A fixed vocabulary (e.g. from a checkpoint) is used as is.
  options.fixed_vocab = Vocab::Bytes();
  EXPECT_EQ(LoadText(options).train->vocab_size(), 256);
}

TEST(TextDatasetTest, Errors) {
  TextOptions options;
  options.paths = {Write("short.txt", "abc")};
  options.context_length = 3;
  options.val_fraction = 0;
  EXPECT_THAT(
      [&] {
        try {
          LoadText(options);
        } catch (const ValueError& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("train split of"));
  options.paths = {Write("latin1.txt", "caf\xe9 au lait")};
  options.context_length = 2;
  try {
    LoadText(options);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("latin1.txt: Vocab::Chars: invalid UTF-8 "
                                    "at byte offset 3"));
  }
  options.fixed_vocab = Vocab::Chars("abc");
  options.paths = {Write("unknown.txt", "abcd")};
  try {
    LoadText(options);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown.txt: Vocab::Encode: character "
                                    "\"d\""));
  }
  options.paths = {std::string(kFortunesDir) + "/no-such-file"};
  try {
    LoadText(options);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("apt-get install fortunes"));
  }
  options.paths = {};
  EXPECT_THROW(LoadText(options), ValueError);
}

TEST(TextDatasetTest, DebianFortunes) {
  const std::string file = std::string(kFortunesDir) + "/fortunes";
  if (!std::filesystem::exists(file)) {
    GTEST_SKIP() << file << " is absent: install the Debian package fortunes";
  }
  TextOptions options;
  options.paths = {kFortunesDir};  // the directory: every cookie file
  options.context_length = 128;
  const TextDatasets d = LoadText(options);
  EXPECT_GT(d.train->size(), 1000);
  EXPECT_GT(d.val->size(), 100);
  EXPECT_GT(d.vocab->size(), 60);
  EXPECT_LT(d.vocab->size(), 1000);
  EXPECT_THAT(d.train->description(), HasSubstr("files)"));
  // Decoding the first window gives back the start of the first file.
  const std::vector<int64_t> idx = {0};
  const std::string text =
      d.vocab->Decode(d.train->GetBatch(idx).inputs.ToVector<int64_t>());
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kFortunesDir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && !e.is_symlink() && ext != ".dat" &&
        ext != ".u8") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::ifstream first(files.at(0));
  std::string head(128, '\0');
  first.read(head.data(), 128);
  EXPECT_EQ(text.substr(0, 64), head.substr(0, 64));
}

}  // namespace
}  // namespace tch::data
