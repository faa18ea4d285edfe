// Test driver: runs an ONNX model in the reference executor on .npy inputs and writes each
// output as <prefix><i>.npy (integer outputs converted to float), so that Python tests can
// compare the executor with an independent NumPy reference.
//   onnx_run MODEL.onnx OUT_PREFIX INPUT0.npy [INPUT1.npy ...]
#include <iostream>
#include <memory>

#include "sw/common/Error.h"
#include "sw/executor/Executor.h"
#include "sw/io/Npy.h"
#include "sw/model/Onnx.h"

int main(int argc, char** argv) {
  using namespace tasdsim;
  if (argc < 3) {
    std::cerr << "usage: onnx_run MODEL.onnx OUT_PREFIX [INPUT.npy ...]\n";
    return 2;
  }
  try {
    auto graph = std::make_shared<const model::Graph>(model::loadOnnx(argv[1]));
    std::vector<model::Tensor> inputs;
    for (int a = 3; a < argc; ++a) {
      const io::NpyArray arr = io::readNpy(argv[a]);
      std::vector<int64_t> shape(arr.shape.begin(), arr.shape.end());
      inputs.push_back(model::Tensor::floats(shape, arr.toFloat()));
    }
    executor::Executor ex(graph);
    const std::vector<model::Tensor> outputs = ex.run(inputs);
    for (size_t k = 0; k < outputs.size(); ++k) {
      const model::Tensor& t = outputs[k];
      std::vector<size_t> shape(t.shape.begin(), t.shape.end());
      const std::vector<float> values = t.asFloats();
      io::writeNpy(std::string(argv[2]) + std::to_string(k) + ".npy", shape, values.data());
    }
  } catch (const UserError& e) {
    std::cerr << "onnx_run: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
