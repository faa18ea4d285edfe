#include "hw/model/system/System.h"

#include <fmt/format.h>

namespace tasdsim::hw {

std::string System::instanceName(uint32_t instance, uint32_t instances) {
  return instances == 1 ? std::string("accel") : fmt::format("accel{}", instance);
}

std::vector<AddressRange> System::addressMap(const AcceleratorParams& p) {
  std::vector<AddressRange> map{{"dram", p.addressMap.dramBase, p.dram.sizeBytes, true}};
  for (uint32_t i = 0; i < p.instances; ++i) {
    map.push_back({instanceName(i, p.instances) + ".reg_socket", p.addressMap.regBaseOf(i),
                   kRegWindowBytes, false});
  }
  return map;
}

System::System(const AcceleratorParams& p, StatsRegistry& stats, const rtl::CosimOptions& cosim)
    : params(p), bus("bus", addressMap(p)), dram("dram", p.dram, stats), irq("irq", p.instances) {
  for (uint32_t i = 0; i < p.instances; ++i) {
    accelerators.push_back(
        std::make_unique<Accelerator>(instanceName(i, p.instances).c_str(), p, stats, cosim));
  }
  // Bus targets in address-map order: DRAM, then the register windows.
  bus.init_socket.bind(dram.target_socket);
  for (auto& a : accelerators)
    bus.init_socket.bind(a->reg_socket);
  for (uint32_t i = 0; i < p.instances; ++i) {
    accelerators[i]->mem_socket.bind(bus.target_socket);
    accelerators[i]->irq_out.bind(irq[i]);
  }
}

}  // namespace tasdsim::hw
