#pragma once
// What tasdsim may replace and where it may write (docs/ROBUSTNESS.md, "Outputs").
//
// - An output folder is tasdsim's when it holds tasdsim-manifest.json, written last by the run
//   that made the folder: the tool's identity, every file of the folder (subfolders included)
//   with its size, and every subfolder. A folder with anything else in it (a file or folder the
//   manifest does not name, a file whose size changed, a link) is not tasdsim's.
// - A single output file (--json, import --out) is tasdsim's when it is a regular file that
//   starts with tasdsim's signature (a "written_by" first key in JSON, a "# written by" first
//   line in YAML).
// - --overwrite replaces only those; everything else is refused, named, and left alone.
//   Symbolic links, FIFOs, sockets and devices are never written through or replaced.
// - A path taken from a config (an experiment's name) is one plain name, confined under out/.
// - The output path is claimed (a lock file .NAME.lock beside it) while a process writes it:
//   of concurrent runs into one path, one wins and the others fail at once.
// - Leftovers of tasdsim processes that died without cleaning up (SIGKILL, power loss) are
//   removed by the next run into the same path, but only those that prove to be tasdsim's (a
//   staging marker or a manifest) and whose process is gone.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tasdsim {

class PendingOutput;

// "tasdsim 0.1.0"
const std::string& toolIdentity();

constexpr const char* kManifestFile = "tasdsim-manifest.json";
constexpr const char* kStagingMarkerFile = ".tasdsim-staging";

// Why name cannot be one path component taken from a config (empty when it can): it must be
// non-empty, not "." or "..", and hold no '/', '\\' or control character.
std::string plainNameProblem(const std::string& name);

// out/<name><suffix>, the default output folder of a result named by a config. `source` says
// where the name came from (e.g. "exp.yaml: experiment.name"); UserError when name is not a
// plain name.
std::filesystem::path defaultOutputFolder(const std::string& name, const std::string& suffix,
                                          const std::string& source);

// An output path as the user typed it (--out, --json): trailing separators dropped ("result/"
// is the folder "result"). UserError for an empty path and for paths that end in "." or ".."
// or are the root (nothing tasdsim could create there).
std::filesystem::path outputPathArgument(const std::string& text, const std::string& option);

// What the thing at path is, for messages: "a regular file", "a folder", "a symbolic link",
// "a FIFO", "a socket", "a character device", "a block device"; empty when nothing is there.
std::string describeFileType(const std::filesystem::path& path);

// Empty when folder is an output folder tasdsim wrote (its manifest names exactly the files in
// it, with their sizes); otherwise why it is not, in words that fit after "DIR: ".
std::string whyNotOurFolder(const std::filesystem::path& folder);
// Empty when file is a regular file that carries tasdsim's signature; otherwise why not.
std::string whyNotOurFile(const std::filesystem::path& file);

// The manifest of the files and subfolders now in folder (every other entry is an error; a
// staging marker is not listed).
std::string manifestText(const std::filesystem::path& folder);

// Removes an output folder tasdsim wrote: the files and subfolders its manifest names, the
// manifest, the folder. Anything else found there stays (and so do the folders holding it).
// Returns false when the folder could not be removed completely.
bool removeOurFolder(const std::filesystem::path& folder);

// Output texts with tasdsim's signature: a JSON object whose first key is "written_by", and
// YAML whose first line is "# written by tasdsim ...". command: the subcommand that wrote it.
std::string signedJson(const nlohmann::json& object, const std::string& command, int indent = 2);
std::string signedYaml(const std::string& yaml, const std::string& command);
// Whether the first bytes of a file are tasdsim's signature.
bool hasSignature(std::string_view head);

// The staging marker of this process (JSON: tool, pid, host, boot id, process start time).
std::string stagingMarkerText();

// Removes what dead tasdsim processes left beside target: staging folders .NAME.partial-PID
// (and .NAME.partial-PID.old) holding a staging marker or a manifest (or nothing at all, or only
// an empty marker: killed while making it), and temporary files NAME.tmp-PID carrying the
// signature, when their process is gone. Anything else stays.
void removeDeadLeftovers(const std::filesystem::path& target);

// The claim on an output path: an exclusive lock on .NAME.lock beside it, held until
// destruction (the lock file is then removed). UserError, naming the other process, when
// another tasdsim process holds it, and with the reason when the lock file cannot be made.
class OutputClaim {
 public:
  explicit OutputClaim(const std::filesystem::path& target);
  ~OutputClaim();
  OutputClaim(const OutputClaim&) = delete;
  OutputClaim& operator=(const OutputClaim&) = delete;

 private:
  std::filesystem::path lockPath_;
  int fd_ = -1;
  std::unique_ptr<PendingOutput> pending_;  // the interrupt watchdog removes the lock file
};

}  // namespace tasdsim
