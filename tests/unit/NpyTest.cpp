#include <filesystem>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/io/Npy.h"

namespace tasdsim::io {
namespace {

std::vector<uint8_t> withHeader(const std::string& dict, const std::vector<uint8_t>& payload) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64)
    h += ' ';
  h += '\n';
  std::vector<uint8_t> out{0x93,
                           'N',
                           'U',
                           'M',
                           'P',
                           'Y',
                           1,
                           0,
                           static_cast<uint8_t>(h.size()),
                           static_cast<uint8_t>(h.size() >> 8)};
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(Npy, RoundTripsFloatAndInt8) {
  const std::vector<float> f{1.5f, -2, 0, 3.25f, 7, 8};
  const NpyArray a = parseNpy(encodeNpy({2, 3}, f.data()), "mem");
  EXPECT_EQ(a.type, NpyType::F32);
  EXPECT_EQ(a.shape, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(a.toFloat(), f);
  const std::vector<int8_t> i{-128, 127, 0, 5};
  const NpyArray b = parseNpy(encodeNpy({4}, i.data()), "mem");
  EXPECT_EQ(b.type, NpyType::I8);
  EXPECT_EQ(b.toInt8(), i);
  // Header is padded so that the data starts at a multiple of 64.
  EXPECT_EQ((encodeNpy({2, 3}, f.data()).size() - f.size() * 4) % 64, 0u);
}

TEST(Npy, ReadsFloat16AndVersion2) {
  const std::vector<uint8_t> v1 = withHeader(
      "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", {0x00, 0x3c, 0x00, 0xc0});
  EXPECT_EQ(parseNpy(v1, "mem").toFloat(), (std::vector<float>{1.0f, -2.0f}));
  std::vector<uint8_t> v2 = v1;
  v2[6] = 2;
  v2.insert(v2.begin() + 10, {0, 0});  // 4-byte header length
  EXPECT_EQ(parseNpy(v2, "mem").toFloat(), (std::vector<float>{1.0f, -2.0f}));
}

void expectError(const std::vector<uint8_t>& bytes, const std::string& needle) {
  try {
    parseNpy(bytes, "bad.npy");
    FAIL() << "no error for " << needle;
  } catch (const UserError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("bad.npy"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

TEST(Npy, RejectsBadFilesWithClearMessages) {
  const std::vector<float> f{1, 2, 3, 4};
  std::vector<uint8_t> good = encodeNpy({2, 2}, f.data());
  expectError({1, 2, 3}, "not a .npy file");
  expectError(std::vector<uint8_t>(good.begin(), good.end() - 3), "truncated data");
  expectError(std::vector<uint8_t>(good.begin(), good.begin() + 20), "truncated .npy header");
  std::vector<uint8_t> extra = good;
  extra.push_back(0);
  expectError(extra, "unexpected bytes");
  expectError(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                         std::vector<uint8_t>(8)),
              "unsupported dtype '<f8'");
  expectError(withHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
                         std::vector<uint8_t>(4)),
              "unsupported dtype");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
                         std::vector<uint8_t>(4)),
              "Fortran");
  expectError(withHeader("{'descr': '<f4', 'shape': (1,), }", std::vector<uint8_t>(4)), "lacks");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,x), }",
                         std::vector<uint8_t>(4)),
              "malformed");
  expectError(
      withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,99999999999), }",
                 {}),
      "too large");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x",
                         std::vector<uint8_t>(4)),
              "unexpected text after the header dictionary");
  // Padding after the dictionary (spaces, one newline) is the format's own.
  EXPECT_EQ(parseNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }   ",
                                {0, 0, 0x80, 0x3f}),
                     "mem")
                .toFloat(),
            std::vector<float>{1.0f});
  std::vector<uint8_t> v9 = good;
  v9[6] = 9;
  expectError(v9, "version 9");
}

TEST(Npy, ReadsInt64Labels) {
  std::vector<uint8_t> payload(3 * 8, 0);
  payload[0] = 7;     // 7
  payload[8] = 0xfe;  // -2
  for (size_t i = 9; i < 16; ++i)
    payload[i] = 0xff;
  payload[16] = 0x00;
  payload[20] = 0x01;  // 2^32
  const NpyArray a =
      parseNpy(withHeader("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", payload),
               "labels.npy");
  EXPECT_EQ(a.type, NpyType::I64);
  EXPECT_EQ(a.toInt64(), (std::vector<int64_t>{7, -2, int64_t{1} << 32}));
  EXPECT_THROW(parseNpy(encodeNpy({1}, std::vector<float>{1.0f}.data()), "f.npy").toInt64(),
               UserError);
}

TEST(Npy, MissingFileIsAUserError) {
  EXPECT_THROW(readNpy("/nonexistent/definitely/missing.npy"), UserError);
}

TEST(StagingDir, AppearsOnlyOnCommit) {
  namespace fs = std::filesystem;
  const fs::path target = fs::temp_directory_path() / "tasdsim_staging_test";
  fs::remove_all(target);
  {
    StagingDir dir(target);
    writeFileAtomic(dir.file("a.txt"), std::string("x"));
    EXPECT_FALSE(fs::exists(target));
  }
  EXPECT_FALSE(fs::exists(target));  // abandoned: nothing left
  for (const auto& e : fs::directory_iterator(target.parent_path()))
    EXPECT_EQ(e.path().filename().string().find(".tasdsim_staging_test.partial"),
              std::string::npos);
  {
    StagingDir dir(target);
    writeFileAtomic(dir.file("a.txt"), std::string("x"));
    dir.commit();
  }
  EXPECT_TRUE(fs::exists(target / "a.txt"));
  EXPECT_THROW(StagingDir{target}, UserError);
  fs::remove_all(target);
}

}  // namespace
}  // namespace tasdsim::io
