#pragma once
// A TFLite model (Tflite.h) as a model graph that the graph executor runs. Tensors stay NHWC as
// in TFLite: convolutions and pooling become Conv / MaxPool / AveragePool nodes with the
// attribute data_layout = "NHWC" (weights OHWI; a depthwise convolution becomes a grouped one,
// group = input channels), RESIZE_BILINEAR and DEPTH_TO_SPACE keep their NHWC meaning the same
// way, fused activations become activation nodes, and constant weights (through DEQUANTIZE and
// DENSIFY) become graph constants. SAME padding becomes explicit pads (TFLite puts the odd
// pixel at the end). Operators: ADD, MUL, CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
// MAX_POOL_2D, AVERAGE_POOL_2D, CONCATENATION, RESHAPE, PAD, RESIZE_BILINEAR, DEPTH_TO_SPACE,
// RELU, RELU6, LOGISTIC, TANH, SOFTMAX; anything else is a UserError naming the operator.
#include <cstdint>
#include <string>
#include <vector>

#include "sw/model/Graph.h"
#include "sw/model/Tflite.h"

namespace tasdsim::model {

Graph tfliteGraph(const TfliteModel& m);
Graph tfliteGraph(const std::vector<uint8_t>& bytes, const std::string& source);

}  // namespace tasdsim::model
