#pragma once
// File helpers that keep outputs whole: a file is written to a temporary name and renamed into
// place, and an output directory is built under a staging name and renamed when complete. An
// interrupted or failed run therefore never leaves a half-written file or folder behind.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tasdsim {

class PendingOutput;

// Reads a whole file; throws UserError naming the path if it cannot be opened or read.
std::vector<uint8_t> readFileBytes(const std::filesystem::path& path);
std::string readFileText(const std::filesystem::path& path);

// Writes data to path.tmp-<pid> and renames it to path.
void writeFileAtomic(const std::filesystem::path& path, std::string_view data);
void writeFileAtomic(const std::filesystem::path& path, const std::vector<uint8_t>& data);

// An output directory that appears only when commit() is called. Until then files go to a
// hidden sibling staging folder, which the destructor removes if commit() was not reached (and
// the interrupt watchdog removes on SIGINT/SIGTERM, sw/common/Interrupt.h).
class StagingDir {
 public:
  // Throws UserError if target already exists (and overwrite is false) or cannot be created.
  explicit StagingDir(std::filesystem::path target, bool overwrite = false);
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  // Where files are written until commit().
  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  std::filesystem::path file(const std::string& name) const { return staging_ / name; }
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  std::unique_ptr<PendingOutput> pending_;  // removed by the interrupt watchdog until commit()
  bool overwrite_;
  bool committed_ = false;
};

}  // namespace tasdsim
