// Entry point of test programs that use SystemC: libsystemc provides main(), which calls
// sc_main(); gtest runs from here. Link GTest::gtest, never GTest::gtest_main.
#include <gtest/gtest.h>

extern "C" int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
