#pragma once
// Reading inputs and writing outputs safely.
//
// Inputs: every file tasdsim reads is opened by openInputFile, which checks what the path is
// before anything can block (a FIFO or a device would hang or never end) and names the reason
// of a failed system call.
//
// Outputs stay whole and never replace what is not tasdsim's (sw/common/Output.h has the
// rules): a file is written to a temporary name and renamed into place, an output folder is
// built under a staging name and moved into place when complete, and a single output file
// (--json, import --out) appears only when written whole. An interrupted or failed run never
// leaves a half-written file or folder behind.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tasdsim {

class PendingOutput;
class OutputClaim;

// A regular file opened for reading (the descriptor is closed on destruction).
class InputFile {
 public:
  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&&) = delete;
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // Reads the whole file (UserError naming the path and the reason on failure).
  std::vector<uint8_t> readAll();

 private:
  friend InputFile openInputFile(const std::filesystem::path& path);
  InputFile(int fd, uint64_t size, std::filesystem::path path);
  int fd_;
  uint64_t size_;
  std::filesystem::path path_;
};

// The one way tasdsim opens an input. The path is checked before it is opened (stat) and again
// on the open descriptor, which is opened non-blocking: a folder, FIFO, socket or device is a
// UserError that says what it is, and nothing ever waits for a writer. A file larger than the
// memory this process may use is refused before it is read.
InputFile openInputFile(const std::filesystem::path& path);

// Reads a whole input file through openInputFile.
std::vector<uint8_t> readFileBytes(const std::filesystem::path& path);
std::string readFileText(const std::filesystem::path& path);

// Writes data to a new file path.tmp-<pid> and renames it to path. For files inside a staging
// folder (StagingDir::file): path must not exist or be a regular file; a symbolic link, FIFO,
// device or folder there is a UserError (never written through or replaced).
void writeFileAtomic(const std::filesystem::path& path, std::string_view data);
void writeFileAtomic(const std::filesystem::path& path, const std::vector<uint8_t>& data);

// An output folder that appears only when commit() is called. Until then files go to a hidden
// sibling staging folder (.NAME.partial-PID, holding a marker that names this process), which
// the destructor removes if commit() was not reached (and the interrupt watchdog removes on a
// signal, sw/common/Interrupt.h). While it exists the output path is claimed: another tasdsim
// process writing the same path fails at once. Leftovers of tasdsim processes that died
// (SIGKILL) beside the target are removed first. commit() writes the manifest
// (tasdsim-manifest.json) that makes the folder provably tasdsim's.
class StagingDir {
 public:
  // Throws UserError when the target exists (without overwrite), when it is not a folder that
  // tasdsim wrote (with overwrite), when its parent is not a folder, or when the staging folder
  // cannot be created (with the reason).
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
  // Swaps the staging folder with the earlier result at target (which commit() verified to be
  // tasdsim's); returns a problem or "" and sets replacedFolder_ to where the old result is now.
  std::string replaceOurs();

  std::filesystem::path target_;
  std::filesystem::path staging_;
  std::filesystem::path replacedFolder_;
  std::unique_ptr<OutputClaim> claim_;
  std::unique_ptr<PendingOutput> pending_;  // removed by the interrupt watchdog until commit()
  bool overwrite_;
  bool committed_ = false;
};

// A single output file outside an output folder (--json, import --out). The constructor checks
// the path at once (before the work that produces the file) and claims it; write() puts the
// complete text in place. The text must carry tasdsim's signature (sw/common/Output.h:
// signedJson, signedYaml), which is what makes a later --overwrite of this file possible. An
// existing file is replaced only with overwrite and only when it is a regular file carrying
// that signature; a symbolic link, FIFO, device or folder is never written through or replaced.
class OutputFile {
 public:
  // option: how the path was given, for messages (e.g. "--json").
  OutputFile(std::filesystem::path target, bool overwrite, std::string option);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::filesystem::path& path() const { return target_; }
  void write(std::string_view signedText);

 private:
  std::filesystem::path target_;
  bool overwrite_;
  std::string option_;
  std::unique_ptr<OutputClaim> claim_;
};

}  // namespace tasdsim
