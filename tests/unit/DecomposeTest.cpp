// Properties of the greedy TASD decomposition (SPEC section 1), on hand-made cases and on many
// seeded random tensors, checked against the independent sort-based reference (Reference.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/common/Half.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/PseudoDensity.h"
#include "sw/tasd/Reference.h"

namespace tasdsim::tasd {
namespace {

MatrixF rowMatrix(std::vector<float> v) {
  const size_t n = v.size();
  return MatrixF(1, n, std::move(v));
}

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The view overload with the approximation written during the decomposition: equal to the sum of
// the terms (bf16: of the rounded input), into its own buffer or into the residual's memory.
TEST(Decompose, ApproximationFromAViewEqualsTheSumOfTheTerms) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  const size_t rows = 7, cols = 45;  // K not a multiple of 8: padded last block
  MatrixF a(rows, cols);
  for (float& v : a.values())
    v = rng() % 3 == 0 ? 0.0f : nd(rng);
  for (const char* text : {"2:8+1:8", "1:4", "dense"}) {
    const Series series = Series::parse(text);
    for (const DType storage : {DType::F32, DType::BF16}) {
      const auto reference = decompose(a, series, storage);
      MatrixF expected = series.isDense() ? a : reconstructF(reference.terms, rows, cols);
      if (series.isDense() && storage == DType::BF16)
        for (float& v : expected.values())
          v = roundToBf16(v);
      Decomposition<float> d;
      std::vector<float> approx(rows * cols, -1.0f);
      decompose(MatrixView<float>(a.data(), rows, cols), series, storage, d, true, approx.data());
      EXPECT_EQ(approx, expected.values()) << text;
      EXPECT_EQ(d.residual, reference.residual) << text;
      EXPECT_EQ(d.terms, reference.terms) << text;
      // Into the residual's own memory: the terms and the metrics are unchanged.
      Decomposition<float> inPlace;
      inPlace.residual = MatrixF(rows, cols);
      decompose(MatrixView<float>(a.data(), rows, cols), series, storage, inPlace, true,
                inPlace.residual.data());
      EXPECT_EQ(inPlace.residual.values(), expected.values()) << text;
      EXPECT_EQ(inPlace.terms, reference.terms) << text;
      EXPECT_EQ(inPlace.quality().relFrobeniusError, reference.quality().relFrobeniusError) << text;
    }
  }
  MatrixI8 q(3, 16);
  for (size_t i = 0; i < q.size(); ++i)
    q.data()[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  Decomposition<int8_t> d;
  std::vector<int8_t> approx(q.size());
  decompose(MatrixView<int8_t>(q.data(), 3, 16), Series::parse("2:4"), d, true, approx.data());
  EXPECT_EQ(approx, reconstructI8(d.terms, 3, 16).values());
}

TEST(Decompose, PaperStyleToyExample) {
  // One block of 8 with 4 nonzeros; 2:8 keeps 0.9 and 0.5, then 1:8 keeps -0.2.
  const MatrixF a = rowMatrix({0, 0.9f, 0, -0.2f, 0, 0, 0.5f, -0.05f});
  const auto d = decompose(a, Series::parse("2:8+1:8"));
  ASSERT_EQ(d.terms.size(), 2u);
  const MatrixF t0 = d.terms[0].toDenseF(), t1 = d.terms[1].toDenseF();
  EXPECT_EQ(t0.values(), (std::vector<float>{0, 0.9f, 0, 0, 0, 0, 0.5f, 0}));
  EXPECT_EQ(t1.values(), (std::vector<float>{0, 0, 0, -0.2f, 0, 0, 0, 0}));
  EXPECT_EQ(d.residual.values(), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, -0.05f}));
  // Compressed slots: ascending position within the block.
  EXPECT_EQ(d.terms[0].index(0, 0), 1u);
  EXPECT_EQ(d.terms[0].index(0, 1), 6u);
  EXPECT_FLOAT_EQ(d.terms[0].valueAsFloat(0, 0), 0.9f);
  EXPECT_FLOAT_EQ(d.terms[0].valueAsFloat(0, 1), 0.5f);
  const Quality q = d.quality();
  EXPECT_DOUBLE_EQ(q.keptNonzeroFraction, 0.75);
  const double l1 = 0.9 + 0.2 + 0.5 + 0.05;
  EXPECT_NEAR(q.keptL1Fraction, (l1 - 0.05) / l1, 1e-6);
  const double e = 0.81 + 0.04 + 0.25 + 0.0025;
  EXPECT_NEAR(q.keptEnergy, (e - 0.0025) / e, 1e-6);
  EXPECT_NEAR(q.relFrobeniusError, std::sqrt(0.0025 / e), 1e-6);
  EXPECT_NEAR(d.qualityAfter(1).keptNonzeroFraction, 0.5, 1e-12);
}

TEST(Decompose, TiesGoToTheLowerIndex) {
  const auto d = decompose(rowMatrix({1, -1, 1, 1}), Series::parse("2:4"));
  EXPECT_EQ(d.terms[0].toDenseF().values(), (std::vector<float>{1, -1, 0, 0}));
  const auto d2 = decompose(rowMatrix({0.5f, 2, -2, 2}), Series::parse("1:4+1:4"));
  EXPECT_EQ(d2.terms[0].toDenseF().values(), (std::vector<float>{0, 2, 0, 0}));
  EXPECT_EQ(d2.terms[1].toDenseF().values(), (std::vector<float>{0, 0, -2, 0}));
}

TEST(Decompose, ZerosAreNeverSelectedAndSlotsStayEmpty) {
  const auto d = decompose(rowMatrix({0, 0, 0, 3, -0.0f, 0, 0, 0}), Series::parse("2:4"));
  const CompressedTerm& t = d.terms[0];
  EXPECT_FLOAT_EQ(t.valueAsFloat(0, 0), 3.0f);
  EXPECT_EQ(t.index(0, 0), 3u);
  EXPECT_EQ(t.valueAsFloat(0, 1), 0.0f);  // empty slot
  EXPECT_EQ(t.index(0, 1), 0u);
  EXPECT_EQ(t.valueAsFloat(0, 2), 0.0f);  // all-zero block (incl. -0.0)
  EXPECT_EQ(t.valueAsFloat(0, 3), 0.0f);
  EXPECT_EQ(t.nonzeros(), 1u);
  // -0.0 stays in the residual; the sum identity still holds.
  EXPECT_EQ(bitsOf(d.residual(0, 4)), bitsOf(-0.0f));
}

TEST(Decompose, KNotAMultipleOfMPadsTheLastBlock) {
  // 10 columns, m = 4: blocks [0..3], [4..7], [8..9 + 2 padding].
  const MatrixF a = rowMatrix({1, 2, 3, 4, 5, 6, 7, 8, -9, 0.5f});
  const auto d = decompose(a, Series::parse("1:4"));
  EXPECT_EQ(d.terms[0].blocksPerRow(), 3u);
  EXPECT_EQ(d.terms[0].toDenseF().values(), (std::vector<float>{0, 0, 0, 4, 0, 0, 0, 8, -9, 0}));
  // The padding is not work and not error: kept fraction counts real elements only.
  EXPECT_EQ(d.original.elements, 10u);
  EXPECT_EQ(d.quality().totalNonzeros, 10u);
  // K smaller than m.
  const auto small = decompose(rowMatrix({0.1f, -3}), Series::parse("1:8"));
  EXPECT_EQ(small.terms[0].toDenseF().values(), (std::vector<float>{0, -3}));
}

TEST(Decompose, DensePatternKeepsEverything) {
  const MatrixF a = rowMatrix({1, 0, -2, 3, 0, 0, 7, 8});
  const auto d = decompose(a, Series::parse("8:8"));
  EXPECT_EQ(d.terms[0].toDenseF(), a);
  EXPECT_DOUBLE_EQ(d.quality().relFrobeniusError, 0.0);
  const auto dense = decompose(a, Series::dense());
  EXPECT_TRUE(dense.terms.empty());
  EXPECT_TRUE(dense.dense);
  EXPECT_EQ(dense.residual, MatrixF(1, 8));  // the approximation is A itself
  EXPECT_DOUBLE_EQ(dense.quality().keptEnergy, 1.0);
  EXPECT_DOUBLE_EQ(dense.quality().relFrobeniusError, 0.0);
}

TEST(Decompose, AllZeroMatrixIsExact) {
  const auto d = decompose(MatrixF(3, 16), Series::parse("1:8"));
  const Quality q = d.quality();
  EXPECT_DOUBLE_EQ(q.keptNonzeroFraction, 1.0);
  EXPECT_DOUBLE_EQ(q.relFrobeniusError, 0.0);
  EXPECT_EQ(d.terms[0].nonzeros(), 0u);
}

TEST(Decompose, OneHugeRowIsExactAndRespectsEveryBlock) {
  // K = 2^20 + 3: a single row of a million columns, the last block padded.
  const size_t k = (size_t{1} << 20) + 3;
  std::vector<float> v(k);
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  for (float& x : v)
    x = dist(rng);
  const MatrixF a(1, k, v);
  const auto d = decompose(a, Series::parse("2:8+1:8"));
  ASSERT_EQ(d.terms.size(), 2u);
  EXPECT_EQ(d.terms[0].blocksPerRow(), (k + 7) / 8);
  const MatrixF t0 = d.terms[0].toDenseF(), t1 = d.terms[1].toDenseF();
  size_t worst0 = 0, worst1 = 0;
  for (size_t b = 0; b < k; b += 8) {
    size_t n0 = 0, n1 = 0;
    for (size_t j = b; j < std::min(k, b + 8); ++j) {
      n0 += t0(0, j) != 0;
      n1 += t1(0, j) != 0;
      ASSERT_EQ(t0(0, j) + t1(0, j) + d.residual(0, j), a(0, j)) << "column " << j;
    }
    worst0 = std::max(worst0, n0);
    worst1 = std::max(worst1, n1);
  }
  EXPECT_EQ(worst0, 2u);
  EXPECT_EQ(worst1, 1u);
  EXPECT_EQ(d.original.elements, k);
}

TEST(Decompose, EmptyShapesAreInstantAndExact) {
  // Many rows of zero columns (and the transpose) must neither hang nor allocate per row.
  // (2^40 rows: a per-row loop would run for minutes and hit the test's timeout.)
  const auto tall = decompose(MatrixF(size_t{1} << 40, 0), Series::parse("1:8"));
  EXPECT_EQ(tall.terms[0].nonzeros(), 0u);
  EXPECT_EQ(tall.terms[0].toDenseF().size(), 0u);
  EXPECT_EQ(tall.original.elements, 0u);
  EXPECT_EQ(reconstructF(tall.terms, size_t{1} << 40, 0).size(), 0u);
  std::vector<float> none;
  EXPECT_EQ(approximateInPlace(none.data(), size_t{1} << 40, 0, Series::parse("2:4")).elements, 0u);
  const auto wide = decompose(MatrixF(0, 1024), Series::parse("2:4+1:4"));
  EXPECT_EQ(wide.terms.size(), 2u);
  EXPECT_DOUBLE_EQ(wide.quality().relFrobeniusError, 0.0);
}

TEST(Decompose, NaNRanksAboveInf) {
  const float nan = std::nanf("");
  const auto d = decompose(rowMatrix({1, INFINITY, nan, 2}), Series::parse("1:4+1:4"));
  EXPECT_TRUE(std::isnan(d.terms[0].toDenseF()(0, 2)));
  EXPECT_EQ(d.terms[1].toDenseF()(0, 1), INFINITY);
}

// The independent reference (sw/tasd/Reference.h): sort each block by (|x| desc, index asc).

Series randomSeries(std::mt19937& rng, bool sameM) {
  const uint32_t ms[] = {2, 4, 8, 16, 32};
  const uint32_t m0 = ms[rng() % 5];
  Series s;
  const size_t order = 1 + rng() % 3;
  for (size_t i = 0; i < order; ++i) {
    const uint32_t m = sameM ? m0 : ms[rng() % 5];
    s.terms.push_back(NMPattern::make(1 + rng() % m, m));
  }
  return s;
}

MatrixF randomMatrix(std::mt19937& rng, size_t rows, size_t cols, double density, bool withTies) {
  std::normal_distribution<float> nd;
  std::uniform_real_distribution<double> u;
  MatrixF a(rows, cols);
  for (float& v : a.values()) {
    if (u(rng) >= density) continue;
    v = withTies ? static_cast<float>(static_cast<int>(rng() % 5) - 2) : nd(rng);
  }
  return a;
}

class RandomDecompose : public ::testing::TestWithParam<uint32_t> {};

TEST_P(RandomDecompose, MatchesReferenceAndSatisfiesProperties) {
  const uint32_t seed = GetParam();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int trial = 0; trial < 20; ++trial) {
    const bool sameM = trial % 2 == 0;
    const Series series = randomSeries(rng, sameM);
    const size_t rows = 1 + rng() % 9, cols = 1 + rng() % 100;
    const MatrixF a =
        randomMatrix(rng, rows, cols, 0.05 + 0.95 * (rng() % 100) / 100.0, trial % 3 == 0);
    SCOPED_TRACE(series.str() + " " + std::to_string(rows) + "x" + std::to_string(cols));
    const auto d = decompose(a, series);

    // Against the reference, term by term.
    for (size_t r = 0; r < rows; ++r) {
      std::vector<float> resid(a.row(r), a.row(r) + cols);
      for (size_t t = 0; t < series.order(); ++t) {
        const std::vector<float> ref = referenceTerm(resid, series.terms[t]);
        const MatrixF got = d.terms[t].toDenseF();
        ASSERT_TRUE(std::equal(ref.begin(), ref.end(), got.row(r))) << "term " << t << " row " << r;
      }
      ASSERT_TRUE(std::equal(resid.begin(), resid.end(), d.residual.row(r)));
    }
    // Each term obeys its pattern.
    for (size_t t = 0; t < series.order(); ++t) {
      const NMPattern p = series.terms[t];
      const MatrixF dense = d.terms[t].toDenseF();
      for (size_t r = 0; r < rows; ++r)
        for (size_t b = 0; b * p.m < cols; ++b) {
          uint32_t nnz = 0;
          for (size_t j = b * p.m; j < std::min(cols, (b + 1) * p.m); ++j)
            nnz += dense(r, j) != 0.0f;
          ASSERT_LE(nnz, p.n);
        }
    }
    // sum(T_i) + R == A exactly.
    MatrixF sum = reconstructF(d.terms, rows, cols);
    for (size_t i = 0; i < sum.size(); ++i)
      ASSERT_EQ(sum.data()[i] + d.residual.data()[i], a.data()[i]);
    // Compressed round trip, bit for bit.
    for (const CompressedTerm& t : d.terms) {
      ASSERT_EQ(CompressedTerm::deserialize(t.serialize(), "roundtrip"), t);
    }
    // Residual norm never grows with more terms.
    double previous = INFINITY;
    for (size_t k = 1; k <= series.order(); ++k) {
      const double err = d.qualityAfter(k).relFrobeniusError;
      ASSERT_LE(err, previous + 1e-12);
      previous = err;
    }
  }
}

TEST_P(RandomDecompose, SameMSeriesKeepsTopSumNAndIsLosslessWhenSparseEnough) {
  std::mt19937 rng(GetParam() + 1000);
  for (int trial = 0; trial < 20; ++trial) {
    const Series series = randomSeries(rng, true);
    const uint32_t m = series.terms[0].m;
    uint32_t sumN = 0;
    for (const NMPattern& p : series.terms)
      sumN += p.n;
    const size_t rows = 1 + rng() % 6, cols = 1 + rng() % 70;
    const MatrixF a = randomMatrix(rng, rows, cols, 0.7, trial % 2 == 0);
    const auto d = decompose(a, series);
    const MatrixF kept = reconstructF(d.terms, rows, cols);
    const NMPattern merged = NMPattern::make(std::min(sumN, m), m);
    std::vector<float> scratch;
    for (size_t r = 0; r < rows; ++r) {
      scratch.assign(a.row(r), a.row(r) + cols);
      const std::vector<float> top = referenceTerm(scratch, merged);
      ASSERT_TRUE(std::equal(top.begin(), top.end(), kept.row(r))) << series.str();
    }
    // Lossless: zero all but sumN entries of each block, then decompose.
    MatrixF sparse = a;
    for (size_t r = 0; r < rows; ++r) {
      for (size_t b = 0; b * m < cols; ++b) {
        uint32_t seen = 0;
        for (size_t j = b * m; j < std::min<size_t>(cols, (b + 1) * m); ++j)
          if (sparse(r, j) != 0.0f && ++seen > sumN) sparse(r, j) = 0.0f;
      }
    }
    const auto exact = decompose(sparse, series);
    ASSERT_EQ(reconstructF(exact.terms, rows, cols), sparse) << series.str();
    ASSERT_EQ(exact.quality().relFrobeniusError, 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomDecompose, ::testing::Range(1u, 11u));

TEST(Decompose, EveryBlockSizeAndN) {
  std::mt19937 rng(7);
  for (uint32_t m = 2; m <= 32; m *= 2) {
    for (uint32_t n = 1; n <= m; ++n) {
      const MatrixF a = randomMatrix(rng, 3, 3 * m + 1, 0.8, false);
      const Series s{{NMPattern::make(n, m)}};
      const auto d = decompose(a, s);
      std::vector<float> scratch;
      for (size_t r = 0; r < 3; ++r) {
        scratch.assign(a.row(r), a.row(r) + a.cols());
        const std::vector<float> ref = referenceTerm(scratch, s.terms[0]);
        ASSERT_TRUE(std::equal(ref.begin(), ref.end(), d.terms[0].toDenseF().row(r))) << s.str();
      }
      ASSERT_EQ(CompressedTerm::deserialize(d.terms[0].serialize(), "t"), d.terms[0]);
    }
  }
}

TEST(Decompose, Int8IsExactIntegerArithmetic) {
  std::mt19937 rng(3);
  MatrixI8 a(5, 37);
  for (int8_t& v : a.values())
    v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
  a(0, 0) = -128;
  a(0, 1) = 127;
  const Series s = Series::parse("2:8+1:8");
  const auto d = decompose(a, s);
  EXPECT_EQ(d.terms[0].dtype(), DType::I8);
  // -128 has the largest magnitude of its block.
  EXPECT_EQ(d.terms[0].toDenseI8()(0, 0), -128);
  const MatrixI8 sum = reconstructI8(d.terms, 5, 37);
  for (size_t i = 0; i < sum.size(); ++i)
    ASSERT_EQ(sum.data()[i] + d.residual.data()[i], a.data()[i]);
  // Same selection as the float path on the same values.
  MatrixF af(5, 37);
  for (size_t i = 0; i < a.size(); ++i)
    af.data()[i] = a.data()[i];
  const auto df = decompose(af, s);
  for (size_t t = 0; t < 2; ++t) {
    const MatrixI8 ti = d.terms[t].toDenseI8();
    const MatrixF tf = df.terms[t].toDenseF();
    for (size_t i = 0; i < ti.size(); ++i)
      ASSERT_EQ(static_cast<float>(ti.data()[i]), tf.data()[i]);
  }
  ASSERT_EQ(CompressedTerm::deserialize(d.terms[1].serialize(), "t"), d.terms[1]);
}

TEST(Decompose, Bf16StorageDecomposesTheRoundedTensor) {
  std::mt19937 rng(5);
  const MatrixF a = randomMatrix(rng, 4, 64, 0.9, false);
  const auto d = decompose(a, Series::parse("4:8+2:8"), DType::BF16);
  EXPECT_EQ(d.terms[0].valueBytesPerRow(), 8u * 4 * 2);
  const MatrixF sum = reconstructF(d.terms, 4, 64);
  for (size_t i = 0; i < sum.size(); ++i) {
    ASSERT_EQ(sum.data()[i] + d.residual.data()[i], roundToBf16(a.data()[i]));
  }
  ASSERT_EQ(CompressedTerm::deserialize(d.terms[0].serialize(), "t"), d.terms[0]);
}

TEST(Decompose, ApproximateInPlaceEqualsSumOfTerms) {
  std::mt19937 rng(11);
  for (const char* text : {"2:4", "2:4+1:8", "1:8+2:4", "4:8+1:8", "1:32+1:2"}) {
    const MatrixF a = randomMatrix(rng, 6, 75, 0.8, true);
    const Series s = Series::parse(text);
    MatrixF approx = a;
    const TensorStats kept = approximateInPlace(approx.data(), 6, 75, s);
    const auto d = decompose(a, s);
    EXPECT_EQ(approx, reconstructF(d.terms, 6, 75)) << text;
    EXPECT_EQ(kept.nonzeros, d.quality().keptNonzeros) << text;
  }
}

TEST(CompressedTerm, PackedLayoutIsLittleEndianLsbFirst) {
  // 2:8 -> 3-bit indices; one block with positions 1 and 6: bits 001 110 -> 0b110001 = 0x31.
  const auto d = decompose(rowMatrix({0, 5, 0, 0, 0, 0, 7, 0}), Series::parse("2:8"));
  const CompressedTerm& t = d.terms[0];
  ASSERT_EQ(t.metaBytesPerRow(), 1u);
  EXPECT_EQ(t.meta()[0], 0x31);
  float v0, v1;
  std::memcpy(&v0, t.values().data(), 4);
  std::memcpy(&v1, t.values().data() + 4, 4);
  EXPECT_EQ(v0, 5.0f);
  EXPECT_EQ(v1, 7.0f);
  // Rows start on byte boundaries: 2 rows of one 2:8 block -> 6 bits each -> 1 byte each.
  const auto d2 = decompose(MatrixF(2, 8, {0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0}),
                            Series::parse("1:8"));
  ASSERT_EQ(d2.terms[0].meta().size(), 2u);
  EXPECT_EQ(d2.terms[0].meta()[0], 7);
  EXPECT_EQ(d2.terms[0].meta()[1], 0);
}

TEST(CompressedTerm, DeserializeRejectsDamage) {
  const auto d = decompose(rowMatrix({0, 5, 0, 0, 0, 0, 7, 0}), Series::parse("2:8"));
  std::vector<uint8_t> bytes = d.terms[0].serialize();
  std::vector<uint8_t> truncated(bytes.begin(), bytes.end() - 1);
  EXPECT_THROW(CompressedTerm::deserialize(truncated, "x"), UserError);
  std::vector<uint8_t> badMagic = bytes;
  badMagic[0] = 'X';
  EXPECT_THROW(CompressedTerm::deserialize(badMagic, "x"), UserError);
  std::vector<uint8_t> badPattern = bytes;
  badPattern[14] = 6;  // m = 6
  EXPECT_THROW(CompressedTerm::deserialize(badPattern, "x"), UserError);
  std::vector<uint8_t> dupIndex = bytes;
  dupIndex.back() = 0x09;  // both slots -> position 1
  EXPECT_THROW(CompressedTerm::deserialize(dupIndex, "x"), UserError);
}

TEST(PseudoDensity, QuantileAndThreshold) {
  std::vector<float> v{-4, 3, -0.5f, 0.25f, 0, 1, -2, 0.1f};
  EXPECT_FLOAT_EQ(magnitudeQuantile(v.data(), v.size(), 0.5), 0.5f);
  EXPECT_FLOAT_EQ(magnitudeQuantile(v.data(), v.size(), 1.0), 4.0f);
  EXPECT_FLOAT_EQ(magnitudeQuantile(v.data(), v.size(), 0.0), 0.0f);
  EXPECT_EQ(applyThreshold(v.data(), v.size(), 0.5f), 3u);
  EXPECT_EQ(v, (std::vector<float>{-4, 3, 0, 0, 0, 1, -2, 0}));
  EXPECT_EQ(applyThreshold(v.data(), v.size(), -1.0f), 0u);
}

TEST(Decompose, StorageFollowsTheInputUnlessAskedAndInt8StaysInt8) {
  EXPECT_EQ(decompositionStorage(false, std::nullopt, "a.npy", "--dtype", "an int8 .npy"),
            DType::F32);
  EXPECT_EQ(decompositionStorage(true, std::nullopt, "a.npy", "--dtype", "an int8 .npy"),
            DType::I8);
  EXPECT_EQ(decompositionStorage(false, "bf16", "a.npy", "--dtype", "an int8 .npy"), DType::BF16);
  EXPECT_EQ(decompositionStorage(true, "int8", "a.npy", "--dtype", "an int8 .npy"), DType::I8);
  EXPECT_THROW(decompositionStorage(false, "fp64", "a.npy", "--dtype", "an int8 .npy"), UserError);
  try {
    decompositionStorage(false, "int8", "array", "dtype", "an int8 array");
    FAIL() << "int8 storage of float input accepted";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "array: dtype int8 needs an int8 array (quantize the tensor first)");
  }
  try {
    decompositionStorage(true, "bf16", "w.npy", "--dtype", "an int8 .npy");
    FAIL() << "bf16 storage of int8 input accepted";
  } catch (const UserError& e) {
    EXPECT_STREQ(e.what(), "w.npy: int8 input is decomposed exactly as int8; drop --dtype bf16");
  }
}

}  // namespace
}  // namespace tasdsim::tasd
