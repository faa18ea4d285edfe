#include "sw/common/FileUtil.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Interrupt.h"

namespace tasdsim {
namespace fs = std::filesystem;

std::vector<uint8_t> readFileBytes(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UserError(fmt::format("{}: is a directory, not a file", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot open file for reading", path.string()));
  // Only regular files: a device or pipe (/dev/zero, a FIFO) could be endless.
  if (!fs::is_regular_file(path, ec)) throw UserError(fmt::format("{}: not a regular file", path.string()));
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw UserError(fmt::format("{}: cannot read its size: {}", path.string(), ec.message()));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) throw UserError(fmt::format("{}: read error", path.string()));
  return bytes;
}

std::string readFileText(const fs::path& path) {
  const std::vector<uint8_t> bytes = readFileBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

void writeFileAtomic(const fs::path& path, std::string_view data) {
  const fs::path tmp = path.string() + fmt::format(".tmp-{}", ::getpid());
  PendingOutput pending(tmp);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UserError(fmt::format("{}: cannot open file for writing", path.string()));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw UserError(fmt::format("{}: write failed (disk full?)", path.string()));
    }
  }
  std::error_code ec;
  try {
    pending.commit([&] { fs::rename(tmp, path, ec); });
  } catch (const Interrupted&) {
    fs::remove(tmp, ec);
    throw;
  }
  if (ec) {
    fs::remove(tmp, ec);
    throw UserError(fmt::format("{}: cannot move file into place: {}", path.string(), ec.message()));
  }
}

void writeFileAtomic(const fs::path& path, const std::vector<uint8_t>& data) {
  writeFileAtomic(path, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

StagingDir::StagingDir(fs::path target, bool overwrite)
    : target_(std::move(target)), overwrite_(overwrite) {
  std::error_code ec;
  if (fs::exists(target_, ec) && !overwrite_) {
    throw UserError(fmt::format("{}: output folder already exists (choose another --out or remove it)",
                                target_.string()));
  }
  fs::path parent = target_.parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    throw UserError(fmt::format("{}: parent folder '{}' does not exist", target_.string(), parent.string()));
  }
  staging_ = parent / fmt::format(".{}.partial-{}", target_.filename().string(), ::getpid());
  pending_ = std::make_unique<PendingOutput>(staging_);
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec) || ec) {
    throw UserError(fmt::format("{}: cannot create output folder: {}", target_.string(), ec.message()));
  }
}

StagingDir::~StagingDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

void StagingDir::commit() {
  // Under the interrupt lock: a signal either comes first (nothing moves, the staging folder
  // goes) or after the results are in place.
  std::string problem;
  pending_->commit([&] {
    std::error_code ec;
    if (overwrite_ && fs::exists(target_, ec)) {
      // Move the old result aside first so that a failed rename never loses both.
      const fs::path old = staging_.string() + ".old";
      fs::rename(target_, old, ec);
      if (ec) {
        problem = fmt::format("{}: cannot replace existing folder: {}", target_.string(), ec.message());
        return;
      }
      fs::rename(staging_, target_, ec);
      if (ec) {
        fs::rename(old, target_, ec);
        problem = fmt::format("{}: cannot move results into place", target_.string());
        return;
      }
      fs::remove_all(old, ec);
    } else {
      fs::rename(staging_, target_, ec);
      if (ec) problem = fmt::format("{}: cannot move results into place: {}", target_.string(), ec.message());
    }
  });
  if (!problem.empty()) throw UserError(problem);
  committed_ = true;
}

}  // namespace tasdsim
