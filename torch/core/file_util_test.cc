#include "torch/core/file_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "torch/core/error.h"

namespace tch {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// A fresh directory under the test's temporary directory, removed (best
// effort, one level deep) on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string tmpl = ::testing::TempDir() + "file_util_test.XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~ScopedTempDir() {
    ::chmod(path_.c_str(), 0755);
    for (const std::string& name : List()) {
      ::unlink((path_ + "/" + name).c_str());
    }
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Every entry other than "." and "..".
  std::vector<std::string> List() const {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path_.c_str());
    if (dir == nullptr) return names;
    while (dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
  }

 private:
  std::string path_;
};

// The message of the tch::IoError that `fn` throws ("" if none).
template <typename Fn>
std::string IoErrorMessage(Fn&& fn) {
  try {
    fn();
  } catch (const IoError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected tch::IoError";
  return "";
}

TEST(WriteFileAtomicallyTest, RoundTrip) {
  ScopedTempDir dir;
  std::string path = dir.File("data.bin");
  std::string payload("hello\0world", 11);
  WriteFileAtomically(path, payload);
  EXPECT_EQ(ReadFile(path), payload);
  EXPECT_THAT(dir.List(), UnorderedElementsAre("data.bin"));
}

TEST(WriteFileAtomicallyTest, LargeRoundTrip) {
  ScopedTempDir dir;
  std::string path = dir.File("big.bin");
  std::string payload(3 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) {
    payload[i] = static_cast<char>(i * 131 % 251);
  }
  WriteFileAtomically(path, payload);
  EXPECT_EQ(ReadFile(path), payload);
}

TEST(WriteFileAtomicallyTest, EmptyFile) {
  ScopedTempDir dir;
  std::string path = dir.File("empty");
  WriteFileAtomically(path, std::string_view());
  EXPECT_EQ(ReadFile(path), "");
}

TEST(WriteFileAtomicallyTest, ChunksAreConcatenated) {
  ScopedTempDir dir;
  std::string path = dir.File("chunks.bin");
  std::string a = "abc", b, c = "defgh";
  std::vector<std::span<const std::byte>> chunks = {
      std::as_bytes(std::span(a)), std::as_bytes(std::span(b)),
      std::as_bytes(std::span(c))};
  WriteFileAtomically(path, chunks);
  EXPECT_EQ(ReadFile(path), "abcdefgh");
}

TEST(WriteFileAtomicallyTest, OverwriteLeavesNoTemporaryFiles) {
  ScopedTempDir dir;
  std::string path = dir.File("model.safetensors");
  WriteFileAtomically(path, "first version, rather long");
  WriteFileAtomically(path, "second");
  WriteFileAtomically(path, "third!");
  EXPECT_EQ(ReadFile(path), "third!");
  EXPECT_THAT(dir.List(), UnorderedElementsAre("model.safetensors"));
}

TEST(WriteFileAtomicallyTest, RelativePathInCurrentDirectory) {
  ScopedTempDir dir;
  char old_cwd[4096];
  ASSERT_NE(::getcwd(old_cwd, sizeof(old_cwd)), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  WriteFileAtomically("plain_name", "x");
  std::string contents = ReadFile("plain_name");
  ASSERT_EQ(::chdir(old_cwd), 0);
  EXPECT_EQ(contents, "x");
}

TEST(WriteFileAtomicallyTest, MissingDirectoryNamesPath) {
  ScopedTempDir dir;
  std::string path = dir.File("no_such_dir/out.bin");
  std::string message = IoErrorMessage([&] { WriteFileAtomically(path, "x"); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("No such file or directory"));
}

TEST(WriteFileAtomicallyTest, ParentIsAFileNamesPath) {
  ScopedTempDir dir;
  std::string file = dir.File("regular");
  WriteFileAtomically(file, "x");
  std::string path = file + "/child";
  std::string message = IoErrorMessage([&] { WriteFileAtomically(path, "x"); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("Not a directory"));
}

TEST(WriteFileAtomicallyTest, UnwritableDirectoryNamesPath) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores directory permissions";
  }
  ScopedTempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0555), 0);
  std::string path = dir.File("out.bin");
  std::string message = IoErrorMessage([&] { WriteFileAtomically(path, "x"); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("Permission denied"));
}

TEST(WriteFileAtomicallyTest, TargetIsADirectoryKeepsNoTemporary) {
  ScopedTempDir dir;
  std::string sub = dir.File("sub");
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  std::string message = IoErrorMessage([&] { WriteFileAtomically(sub, "x"); });
  EXPECT_THAT(message, HasSubstr(sub));
  EXPECT_THAT(dir.List(), UnorderedElementsAre("sub"));
}

TEST(WriteFileAtomicallyTest, TrailingSlashIsRejected) {
  ScopedTempDir dir;
  std::string path = dir.path() + "/";
  std::string message = IoErrorMessage([&] { WriteFileAtomically(path, "x"); });
  EXPECT_THAT(message, HasSubstr("names a directory"));
}

TEST(ReadFileTest, MissingFileNamesPath) {
  ScopedTempDir dir;
  std::string path = dir.File("missing.bin");
  std::string message = IoErrorMessage([&] { ReadFile(path); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("No such file or directory"));
}

TEST(ReadFileTest, DirectoryIsAnError) {
  ScopedTempDir dir;
  std::string message = IoErrorMessage([&] { ReadFile(dir.path()); });
  EXPECT_THAT(message, HasSubstr(dir.path()));
  EXPECT_THAT(message, HasSubstr("Is a directory"));
}

TEST(MappedFileTest, MapsContents) {
  ScopedTempDir dir;
  std::string path = dir.File("mapped.bin");
  WriteFileAtomically(path, "0123456789");
  MappedFile map(path);
  ASSERT_EQ(map.size(), 10u);
  ASSERT_NE(map.data(), nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(map.data()), 10),
            "0123456789");
  EXPECT_EQ(map.bytes().size(), 10u);
  EXPECT_EQ(map.path(), path);
}

TEST(MappedFileTest, EmptyFile) {
  ScopedTempDir dir;
  std::string path = dir.File("empty.bin");
  WriteFileAtomically(path, "");
  MappedFile map(path);
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.data(), nullptr);
  EXPECT_TRUE(map.bytes().empty());
}

TEST(MappedFileTest, SurvivesReplacementOfTheFile) {
  ScopedTempDir dir;
  std::string path = dir.File("replaced.bin");
  WriteFileAtomically(path, "old contents");
  MappedFile map(path);
  WriteFileAtomically(path, "new");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(map.data()), map.size()),
            "old contents");
}

TEST(MappedFileTest, MoveTransfersMapping) {
  ScopedTempDir dir;
  std::string path = dir.File("moved.bin");
  WriteFileAtomically(path, "abc");
  MappedFile a(path);
  const std::byte* data = a.data();
  MappedFile b(std::move(a));
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(b.size(), 3u);
  MappedFile c(path);
  c = std::move(b);
  EXPECT_EQ(c.data(), data);
  EXPECT_EQ(static_cast<char>(c.data()[2]), 'c');
}

TEST(MappedFileTest, MissingFileNamesPath) {
  ScopedTempDir dir;
  std::string path = dir.File("absent.bin");
  std::string message = IoErrorMessage([&] { MappedFile map(path); });
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("No such file or directory"));
}

TEST(MappedFileTest, DirectoryIsAnError) {
  ScopedTempDir dir;
  std::string message = IoErrorMessage([&] { MappedFile map(dir.path()); });
  EXPECT_THAT(message, HasSubstr(dir.path()));
  EXPECT_THAT(message, HasSubstr("Is a directory"));
}

}  // namespace
}  // namespace tch
