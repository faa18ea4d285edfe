#include "sw/common/FileUtil.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <system_error>

#include <fmt/format.h>

#include "sw/common/Checked.h"
#include "sw/common/Error.h"
#include "sw/common/HostMemory.h"
#include "sw/common/Interrupt.h"
#include "sw/common/Output.h"

namespace tasdsim {
namespace fs = std::filesystem;
namespace {

std::string reason(int error) {
  return std::generic_category().message(error);
}

fs::path parentOf(const fs::path& p) {
  const fs::path parent = p.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

bool pathExists(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// The folder an output goes into must exist and be a folder (symbolic links to one are fine).
void requireParentFolder(const fs::path& target) {
  const fs::path parent = parentOf(target);
  struct stat st {};
  if (::stat(parent.c_str(), &st) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      throw UserError(
          fmt::format("{}: parent folder '{}' does not exist", target.string(), parent.string()));
    }
    throw UserError(fmt::format("{}: parent folder '{}' cannot be used: {}", target.string(),
                                parent.string(), reason(error)));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw UserError(fmt::format("{}: '{}' is {}, not a folder", target.string(), parent.string(),
                                describeFileType(parent)));
  }
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") {
    throw UserError(
        fmt::format("{}: names an existing folder, not a new output; give the output's own name",
                    target.string()));
  }
}

// Creates `tmp` (which must not exist) and writes data into it; UserError naming `shown` and
// the reason (a full disk, the file size limit) on failure, with tmp removed.
void writeNewFile(const fs::path& tmp, const fs::path& shown, std::string_view data) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw UserError(fmt::format("{}: cannot create {}: {}", shown.string(), tmp.filename().string(),
                                reason(errno)));
  }
  size_t done = 0;
  int error = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : EIO;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(tmp.c_str());
    // Past the file size limit the kernel also raises SIGXFSZ (handled): report the signal, as
    // every other path that meets it does, not the write error it caused.
    throwIfInterrupted();
    throw UserError(fmt::format("{}: write failed: {}", shown.string(), reason(error)));
  }
}

// Renames from to to unless something exists at to (atomically where the file system can).
// Returns 0 or the errno; EEXIST when to exists.
int renameNoReplace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  const int error = errno;
  if (error != EINVAL && error != ENOSYS) return error == ENOTEMPTY ? EEXIST : error;
  // No RENAME_NOREPLACE on this file system: check, then rename (both under the commit lock).
  if (pathExists(to)) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

}  // namespace

// ---- inputs ---------------------------------------------------------------------------------

InputFile::InputFile(int fd, uint64_t size, fs::path path)
    : fd_(fd), size_(size), path_(std::move(path)) {}

InputFile::InputFile(InputFile&& other) noexcept
    : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<uint8_t> InputFile::readAll() {
  std::vector<uint8_t> bytes(static_cast<size_t>(size_));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw UserError(fmt::format("{}: read error: {}", path_.string(), reason(errno)));
    if (n == 0) break;  // the file shrank while being read: what is there
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

InputFile openInputFile(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw UserError(
        fmt::format("{}: cannot open file for reading: {}", path.string(), reason(errno)));
  }
  auto checkType = [&](const struct stat& s) {
    if (S_ISDIR(s.st_mode))
      throw UserError(fmt::format("{}: is a directory, not a file", path.string()));
    if (!S_ISREG(s.st_mode)) {
      // A FIFO or device could block forever or never end.
      throw UserError(
          fmt::format("{}: not a regular file ({})", path.string(), describeFileType(path)));
    }
  };
  checkType(st);
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    throw UserError(
        fmt::format("{}: cannot open file for reading: {}", path.string(), reason(errno)));
  InputFile file(fd, 0, path);
  if (::fstat(fd, &st) != 0)
    throw UserError(fmt::format("{}: cannot read its size: {}", path.string(), reason(errno)));
  checkType(st);  // the path may have changed between stat and open
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint64_t limit = hostMemoryLimitBytes();
  if (size > limit) {
    throw UserError(fmt::format("{}: too large to read ({}; this process may use {})",
                                path.string(), formatBytes(size), formatBytes(limit)));
  }
  file.size_ = size;
  return file;
}

std::vector<uint8_t> readFileBytes(const fs::path& path) {
  return openInputFile(path).readAll();
}

std::string readFileText(const fs::path& path) {
  const std::vector<uint8_t> bytes = readFileBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

// ---- files inside staging folders -----------------------------------------------------------

void writeFileAtomic(const fs::path& path, std::string_view data) {
  const std::string type = describeFileType(path);
  if (!type.empty() && type != "a regular file") {
    throw UserError(fmt::format("{}: is {}; tasdsim does not write through or replace it",
                                path.string(), type));
  }
  const fs::path tmp = path.string() + fmt::format(".tmp-{}", ::getpid());
  PendingOutput pending(tmp);
  writeNewFile(tmp, path, data);
  int error = 0;
  try {
    pending.commit([&] { error = ::rename(tmp.c_str(), path.c_str()) == 0 ? 0 : errno; });
  } catch (const Interrupted&) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (error != 0) {
    ::unlink(tmp.c_str());
    throw UserError(
        fmt::format("{}: cannot move file into place: {}", path.string(), reason(error)));
  }
}

void writeFileAtomic(const fs::path& path, const std::vector<uint8_t>& data) {
  writeFileAtomic(path, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

// ---- output folders -------------------------------------------------------------------------

StagingDir::StagingDir(fs::path target, bool overwrite)
    : target_(std::move(target)), overwrite_(overwrite) {
  requireParentFolder(target_);
  claim_ = std::make_unique<OutputClaim>(target_);
  removeDeadLeftovers(target_);
  const std::string type = describeFileType(target_);
  if (!type.empty() && type != "a folder") {
    throw UserError(fmt::format(
        "{}: exists and is {}; tasdsim writes an output folder only where nothing exists or "
        "over a folder it wrote",
        target_.string(), type));
  }
  if (!type.empty() && !overwrite_) {
    throw UserError(
        fmt::format("{}: output folder already exists (choose another --out, or add --overwrite to "
                    "replace a folder tasdsim wrote)",
                    target_.string()));
  }
  if (!type.empty()) {
    const std::string why = whyNotOurFolder(target_);
    if (!why.empty()) {
      throw UserError(fmt::format(
          "{}: {}; --overwrite replaces only folders tasdsim wrote (remove it yourself or "
          "choose another --out)",
          target_.string(), why));
    }
  }
  staging_ =
      parentOf(target_) / fmt::format(".{}.partial-{}", target_.filename().string(), ::getpid());
  pending_ = std::make_unique<PendingOutput>(staging_);
  if (::mkdir(staging_.c_str(), 0777) != 0) {
    const int error = errno;
    pending_.reset();  // not ours: never removed
    throw UserError(fmt::format("{}: cannot create the staging folder {}: {}", target_.string(),
                                staging_.filename().string(), reason(error)));
  }
  try {
    // Written in place (one small write), so that a process killed now leaves at most an empty
    // folder or an empty marker, which removeDeadLeftovers may remove.
    writeNewFile(staging_ / kStagingMarkerFile, target_, stagingMarkerText());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
    throw;
  }
}

StagingDir::~StagingDir() {
  if (!committed_ && pending_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

void StagingDir::commit() {
  // The manifest first, then the marker goes: a staging folder always holds one of the two, so
  // that what a killed process leaves stays provably tasdsim's (removeDeadLeftovers).
  writeFileAtomic(file(kManifestFile), manifestText(staging_));
  if (::unlink((staging_ / kStagingMarkerFile).c_str()) != 0) {
    throw UserError(
        fmt::format("{}: the staging folder lost its marker: {}", target_.string(), reason(errno)));
  }
  // Under the interrupt lock: a signal either comes first (nothing moves, the staging folder
  // goes) or after the results are in place.
  std::string problem;
  bool replaced = false;
  pending_->commit([&] {
    if (pathExists(target_) && overwrite_) {
      problem = whyNotOurFolder(target_);
      if (!problem.empty()) {
        problem = fmt::format(
            "{}: {} (changed while this run was working); the results were not moved there",
            target_.string(), problem);
        return;
      }
      problem = replaceOurs();
      replaced = problem.empty();
      return;
    }
    const int error = renameNoReplace(staging_, target_);
    if (error == EEXIST) {
      problem =
          fmt::format("{}: appeared while this run was working; the results were not moved there",
                      target_.string());
    } else if (error != 0) {
      problem = fmt::format("{}: cannot move the results into place: {}", target_.string(),
                            reason(error));
    }
  });
  if (!problem.empty()) {
    pending_.reset();
    std::error_code ec;
    fs::remove_all(staging_, ec);
    throw UserError(problem);
  }
  committed_ = true;
  // The earlier result now sits where the staging folder was (or at its .old name).
  if (replaced && !removeOurFolder(replacedFolder_)) {
    std::cerr << fmt::format(
        "tasdsim: warning: {}: the replaced result could not be removed completely; left {}\n",
        target_.string(), replacedFolder_.string());
  }
  claim_.reset();
}

std::string StagingDir::replaceOurs() {
  // One atomic exchange where the file system has it: the target is never missing.
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    replacedFolder_ = staging_;
    return "";
  }
  int error = errno;
  if (error != EINVAL && error != ENOSYS) {
    return fmt::format("{}: cannot replace the earlier result: {}", target_.string(),
                       reason(error));
  }
  // Otherwise move the old result aside first so that a failed rename never loses both.
  replacedFolder_ = staging_.string() + ".old";
  if (::rename(target_.c_str(), replacedFolder_.c_str()) != 0) {
    return fmt::format("{}: cannot move the earlier result aside: {}", target_.string(),
                       reason(errno));
  }
  if (::rename(staging_.c_str(), target_.c_str()) != 0) {
    error = errno;
    ::rename(replacedFolder_.c_str(), target_.c_str());
    return fmt::format("{}: cannot move the results into place: {}", target_.string(),
                       reason(error));
  }
  return "";
}

// ---- single output files --------------------------------------------------------------------

OutputFile::OutputFile(fs::path target, bool overwrite, std::string option)
    : target_(std::move(target)), overwrite_(overwrite), option_(std::move(option)) {
  requireParentFolder(target_);
  claim_ = std::make_unique<OutputClaim>(target_);
  removeDeadLeftovers(target_);
  const std::string type = describeFileType(target_);
  if (type.empty()) return;
  if (type != "a regular file") {
    throw UserError(fmt::format(
        "{} {}: is {}; tasdsim writes a file only where nothing exists or over a regular file "
        "it wrote",
        option_, target_.string(), type));
  }
  if (!overwrite_) {
    throw UserError(fmt::format(
        "{} {}: already exists (choose another path, or add --overwrite to replace a file "
        "tasdsim wrote)",
        option_, target_.string()));
  }
  const std::string why = whyNotOurFile(target_);
  if (!why.empty()) {
    throw UserError(fmt::format("{} {}: {}; --overwrite replaces only files tasdsim wrote", option_,
                                target_.string(), why));
  }
}

OutputFile::~OutputFile() = default;

void OutputFile::write(std::string_view signedText) {
  if (!hasSignature(signedText))
    throw std::logic_error("OutputFile::write: the text carries no signature");
  const fs::path tmp = target_.string() + fmt::format(".tmp-{}", ::getpid());
  PendingOutput pending(tmp);
  writeNewFile(tmp, target_, signedText);
  std::string problem;
  try {
    pending.commit([&] {
      const std::string type = describeFileType(target_);
      if (type.empty()) {
        const int error = renameNoReplace(tmp, target_);
        if (error == EEXIST) {
          problem = "appeared while this command was working; not replaced";
        } else if (error != 0) {
          problem = "cannot move file into place: " + reason(error);
        }
        return;
      }
      if (!overwrite_) {
        problem = "appeared while this command was working; not replaced";
      } else if (const std::string why = whyNotOurFile(target_); !why.empty()) {
        problem = why + " (changed while this command was working); not replaced";
      } else if (::rename(tmp.c_str(), target_.c_str()) != 0) {
        problem = "cannot move file into place: " + reason(errno);
      }
    });
  } catch (const Interrupted&) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (!problem.empty()) {
    ::unlink(tmp.c_str());
    throw UserError(fmt::format("{} {}: {}", option_, target_.string(), problem));
  }
  claim_.reset();
}

}  // namespace tasdsim
