// The fuzz programs link libsystemc (through the runtime), which references sc_main; they have
// their own main (libFuzzer's or FuzzMicrocode.cpp's), so this one is never called.
extern "C" int sc_main(int, char**) {
  return 1;
}
