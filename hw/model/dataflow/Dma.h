#pragma once
// Dma: the memory transfers of one tile (or fetch burst) as a batch.
//
// Data moves through TLM-2.0 direct memory interface (DMI) pointers, which the memory grants
// per page; addresses without DMI fall back to debug transport. Time is charged by one timed
// b_transport per batch carrying a DmaBurst extension with the batch's total bytes and run
// count: the memory serialises all the bytes on its channel and the batch pays the access
// latency once, exactly as if every run had been issued at the same time, and counts every run
// as a request. The caller waits for delay().
// The timed transaction is a legal base-protocol access for any memory: one byte at the batch's
// first address (a write puts back the byte the memory already holds), with the DmaBurst
// extension as an ignorable extension; a memory that does not know the extension charges that
// one byte. DMI regions are cached per requester until the memory invalidates them.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

namespace tasdsim::hw {

// Totals of a batch, attached to its timed transaction.
struct DmaBurst : tlm::tlm_extension<DmaBurst> {
  uint64_t bytes = 0;
  uint64_t runs = 0;
  tlm::tlm_extension_base* clone() const override { return new DmaBurst(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const DmaBurst&>(other);
  }
};

class DmaBatch {
 public:
  template <typename Module>
  explicit DmaBatch(tlm_utils::simple_initiator_socket<Module>& socket)
      : owner_(&socket),
        timed_([&socket](tlm::tlm_generic_payload& tx, sc_core::sc_time& d) {
          socket->b_transport(tx, d);
        }),
        debug_([&socket](tlm::tlm_generic_payload& tx) { return socket->transport_dbg(tx); }),
        dmi_([&socket](tlm::tlm_generic_payload& tx, tlm::tlm_dmi& d) {
          return socket->get_direct_mem_ptr(tx, d);
        }) {}

  // data may be null (timing only: addresses are still checked). Returns false on a bad address.
  bool read(uint64_t address, uint8_t* data, uint64_t bytes) {
    return transfer(false, address, data, bytes);
  }
  bool write(uint64_t address, const uint8_t* data, uint64_t bytes) {
    return transfer(true, address, const_cast<uint8_t*>(data), bytes);
  }
  // Timing only: runs of `bytes` bytes in all, each inside [lo, hi) (first: the first run's
  // address), counted at once when the memory's DMI regions cover [lo, hi) without a gap: the
  // same bytes and requests as reading them one by one. False (nothing counted) otherwise: the
  // caller reads them one by one.
  bool readSpan(uint64_t first, uint64_t lo, uint64_t hi, uint64_t bytes, uint64_t runs) {
    if (runs == 0) return true;
    if (lo >= hi) return false;
    for (uint64_t a = lo; a < hi;) {
      const tlm::tlm_dmi* region = regionFor(a, false);
      if (!region) return false;
      if (region->get_end_address() >= hi - 1) break;
      a = region->get_end_address() + 1;
    }
    if (requests_ == 0) firstAddress_ = first;
    bytes_ += bytes;
    requests_ += runs;
    return true;
  }
  // Issues the batch's timed transaction (once) and returns the time until it completes.
  sc_core::sc_time delay() {
    if (!charged_ && bytes_ > 0) {
      charged_ = true;
      tlm::tlm_generic_payload tx;
      DmaBurst burst;
      burst.bytes = bytes_;
      burst.runs = requests_;
      tx.set_command(anyWrite_ ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
      uint8_t byte = 0;
      if (anyWrite_) readByte(firstAddress_, byte);
      tx.set_address(firstAddress_);
      tx.set_data_ptr(&byte);
      tx.set_data_length(1);
      tx.set_streaming_width(1);
      tx.set_byte_enable_ptr(nullptr);
      tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      tx.set_extension(&burst);
      timed_(tx, latest_);
      tx.clear_extension(&burst);
    }
    return latest_;
  }
  // Drops every cached DMI region that overlaps [start, end] (a memory's
  // invalidate_direct_mem_ptr, forwarded by the accelerator's memory port).
  static void invalidate(uint64_t start, uint64_t end) {
    for (auto& [owner, regions] : dmiCache()) {
      regions.erase(std::remove_if(regions.begin(), regions.end(),
                                   [&](const tlm::tlm_dmi& d) {
                                     return d.get_start_address() <= end &&
                                            start <= d.get_end_address();
                                   }),
                    regions.end());
    }
  }
  uint64_t bytes() const { return bytes_; }
  uint64_t requests() const { return requests_; }
  uint64_t failedAddress() const { return failedAddress_; }

 private:
  bool transfer(bool isWrite, uint64_t address, uint8_t* data, uint64_t bytes) {
    if (bytes == 0) return true;
    if (requests_ == 0) firstAddress_ = address;
    uint64_t done = 0;
    while (done < bytes) {
      const uint64_t a = address + done;
      const tlm::tlm_dmi* region = regionFor(a, isWrite);
      if (!region) {  // no DMI: debug transport of the rest
        if (!debugCopy(isWrite, a, data ? data + done : nullptr, bytes - done)) {
          failedAddress_ = a;
          return false;
        }
        break;
      }
      const uint64_t n = std::min<uint64_t>(bytes - done, region->get_end_address() - a + 1);
      if (data) {
        uint8_t* mem = region->get_dmi_ptr() + (a - region->get_start_address());
        if (isWrite) {
          std::memcpy(mem, data + done, n);
        } else {
          std::memcpy(data + done, mem, n);
        }
      }
      done += n;
    }
    anyWrite_ = anyWrite_ || isWrite;
    bytes_ += bytes;
    ++requests_;
    return true;
  }

  const tlm::tlm_dmi* regionFor(uint64_t address, bool isWrite) {
    if (!regions_) regions_ = &dmiCache()[owner_];  // map nodes stay where they are
    std::vector<tlm::tlm_dmi>& cache = *regions_;
    const auto fits = [&](const tlm::tlm_dmi& d) {
      return address >= d.get_start_address() && address <= d.get_end_address() &&
             (isWrite ? d.is_write_allowed() : d.is_read_allowed());
    };
    // A batch's runs mostly fall in the region of the run before.
    if (lastRegion_ < cache.size() && fits(cache[lastRegion_])) return &cache[lastRegion_];
    for (size_t i = 0; i < cache.size(); ++i) {
      if (fits(cache[i])) {
        lastRegion_ = i;
        return &cache[i];
      }
    }
    tlm::tlm_generic_payload tx;
    tx.set_command(isWrite ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx.set_address(address);
    tlm::tlm_dmi d;
    if (!dmi_(tx, d) || address < d.get_start_address() || address > d.get_end_address())
      return nullptr;
    cache.push_back(d);
    lastRegion_ = cache.size() - 1;
    return &cache.back();
  }

  bool debugCopy(bool isWrite, uint64_t address, uint8_t* data, uint64_t bytes) {
    tlm::tlm_generic_payload tx;
    std::vector<uint8_t> scratch;
    if (!data) {  // timing only: the access must still be legal
      scratch.resize(bytes);
      data = scratch.data();
      if (isWrite)
        return debugRead(address, data, bytes);  // check the range without changing memory
    }
    tx.set_command(isWrite ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx.set_address(address);
    tx.set_data_ptr(data);
    tx.set_data_length(static_cast<unsigned int>(bytes));
    return debug_(tx) == bytes;
  }

  void readByte(uint64_t address, uint8_t& byte) {
    if (const tlm::tlm_dmi* region = regionFor(address, false)) {
      byte = region->get_dmi_ptr()[address - region->get_start_address()];
    } else {
      debugRead(address, &byte, 1);
    }
  }

  bool debugRead(uint64_t address, uint8_t* data, uint64_t bytes) {
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(address);
    tx.set_data_ptr(data);
    tx.set_data_length(static_cast<unsigned int>(bytes));
    return debug_(tx) == bytes;
  }

  // DMI regions per requester, kept until invalidated (this project's DRAM never invalidates:
  // its pages are never freed).
  static std::unordered_map<const void*, std::vector<tlm::tlm_dmi>>& dmiCache() {
    static std::unordered_map<const void*, std::vector<tlm::tlm_dmi>> cache;
    return cache;
  }

  const void* owner_;
  std::vector<tlm::tlm_dmi>* regions_ = nullptr;  // this requester's cached regions
  size_t lastRegion_ = 0;                         // the one the last run fell in
  std::function<void(tlm::tlm_generic_payload&, sc_core::sc_time&)> timed_;
  std::function<unsigned int(tlm::tlm_generic_payload&)> debug_;
  std::function<bool(tlm::tlm_generic_payload&, tlm::tlm_dmi&)> dmi_;
  sc_core::sc_time latest_ = sc_core::SC_ZERO_TIME;
  uint64_t bytes_ = 0;
  uint64_t requests_ = 0;
  uint64_t firstAddress_ = 0;
  uint64_t failedAddress_ = 0;
  bool anyWrite_ = false;
  bool charged_ = false;
};

}  // namespace tasdsim::hw
