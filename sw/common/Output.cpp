#include "sw/common/Output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Interrupt.h"

#ifndef TASDSIM_VERSION
#define TASDSIM_VERSION "unknown"
#endif

namespace tasdsim {
namespace fs = std::filesystem;
namespace {

constexpr const char* kManifestSchema = "tasdsim-manifest/1";
constexpr uint64_t kManifestMaxBytes = 16 << 20;
constexpr size_t kSignatureHeadBytes = 256;
constexpr int kClaimAttempts = 8;
// What a lock file holds: this text and the pid of the process that holds it.
constexpr char kLockText[] = "tasdsim lock, pid ";

std::string reason(int error) {
  return std::generic_category().message(error);
}

fs::path parentOf(const fs::path& p) {
  const fs::path parent = p.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

std::optional<struct stat> lstatOf(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return std::nullopt;
  return st;
}

std::string typeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "a special file";
}

// Who a process is, well enough to tell later whether it is still running: pid, host, boot and
// the process's start time (a recycled pid has a different one).
struct ProcessIdentity {
  int64_t pid = 0;
  std::string host;
  std::string bootId;
  uint64_t startTicks = 0;
};

std::string firstLineOf(const char* file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/<pid>/stat: the start time in clock ticks after boot.
std::optional<uint64_t> startTicksOf(int64_t pid) {
  const std::string stat = firstLineOf(fmt::format("/proc/{}/stat", pid).c_str());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  size_t pos = close + 2, field = 3;  // after "pid (comm) ", the state is field 3
  while (field < 22) {
    pos = stat.find(' ', pos);
    if (pos == std::string::npos) return std::nullopt;
    ++pos;
    ++field;
  }
  try {
    return std::stoull(stat.substr(pos, stat.find(' ', pos) - pos));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// This process (read each time: a forked child is another process with the same host and boot).
ProcessIdentity self() {
  static const std::pair<std::string, std::string> machine = [] {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return std::make_pair(std::string(host), firstLineOf("/proc/sys/kernel/random/boot_id"));
  }();
  ProcessIdentity p;
  p.pid = ::getpid();
  p.host = machine.first;
  p.bootId = machine.second;
  p.startTicks = startTicksOf(p.pid).value_or(0);
  return p;
}

nlohmann::json identityJson(const ProcessIdentity& p) {
  return {{"pid", p.pid}, {"host", p.host}, {"boot_id", p.bootId}, {"start_ticks", p.startTicks}};
}

std::optional<ProcessIdentity> identityFrom(const nlohmann::json& j) {
  try {
    ProcessIdentity p;
    p.pid = j.at("pid").get<int64_t>();
    p.host = j.at("host").get<std::string>();
    p.bootId = j.at("boot_id").get<std::string>();
    p.startTicks = j.at("start_ticks").get<uint64_t>();
    return p;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// Whether the process is certainly gone. Unknown (another host) counts as running.
bool processGone(const ProcessIdentity& p) {
  const ProcessIdentity me = self();
  if (p.pid <= 0 || p.host != me.host) return false;
  if (!p.bootId.empty() && !me.bootId.empty() && p.bootId != me.bootId) return true;
  if (::kill(static_cast<pid_t>(p.pid), 0) != 0 && errno == ESRCH) return true;
  const std::optional<uint64_t> ticks = startTicksOf(p.pid);
  return p.startTicks != 0 && ticks && *ticks != p.startTicks;
}

bool pidGone(int64_t pid) {
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// A small JSON file of ours (manifest, marker); nothing when it is not one.
std::optional<nlohmann::json> readSignedJson(const fs::path& path) {
  const std::optional<struct stat> st = lstatOf(path);
  if (!st || !S_ISREG(st->st_mode) || static_cast<uint64_t>(st->st_size) > kManifestMaxBytes)
    return std::nullopt;
  try {
    const std::string text = readFileText(path);
    if (!hasSignature(text)) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    return j;
  } catch (const UserError&) {
    return std::nullopt;
  }
}

// What a manifest lists: every file (path relative to the folder, '/'-separated) with its size,
// and every subfolder.
struct Manifest {
  std::map<std::string, uint64_t> files;
  std::set<std::string> folders;
};

std::optional<Manifest> readManifest(const fs::path& folder) {
  const std::optional<nlohmann::json> j = readSignedJson(folder / kManifestFile);
  if (!j || j->value("schema", "") != kManifestSchema) return std::nullopt;
  Manifest m;
  try {
    for (const auto& [name, size] : j->at("files").items())
      m.files[name] = size.get<uint64_t>();
    if (j->contains("folders"))
      for (const auto& name : j->at("folders"))
        m.folders.insert(name.get<std::string>());
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return m;
}

// Every entry below folder (links not followed) with its path relative to folder, except the
// manifest and the staging marker at the top.
template <typename Fn>
std::error_code forEachEntry(const fs::path& folder, Fn fn) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(folder).generic_string();
    if (rel == kManifestFile || rel == kStagingMarkerFile) continue;
    if (!fn(rel, it->path())) break;
  }
  return ec;
}

std::optional<int64_t> pidSuffix(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  int64_t pid = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

void removeDeadStaging(const fs::path& entry, int64_t pid) {
  const std::optional<struct stat> st = lstatOf(entry);
  if (!st || !S_ISDIR(st->st_mode)) return;
  std::error_code ec;
  if (const auto marker = readSignedJson(entry / kStagingMarkerFile)) {
    const std::optional<ProcessIdentity> owner = identityFrom(*marker);
    if (owner && owner->pid == pid && processGone(*owner)) fs::remove_all(entry, ec);
    return;
  }
  if (!pidGone(pid)) return;
  // Killed between making the folder and writing its marker: an empty folder, or one holding an
  // empty marker, holds nothing that could be anyone's.
  std::vector<fs::path> inside;
  for (fs::directory_iterator it(entry, ec), end; !ec && it != end && inside.size() < 2;
       it.increment(ec))
    inside.push_back(it->path());
  const auto isEmptyMarker = [](const fs::path& p) {
    const std::optional<struct stat> s = lstatOf(p);
    return p.filename() == kStagingMarkerFile && s && S_ISREG(s->st_mode) && s->st_size == 0;
  };
  if (!ec && (inside.empty() || (inside.size() == 1 && isEmptyMarker(inside.front())))) {
    if (!inside.empty()) ::unlink(inside.front().c_str());
    ::rmdir(entry.c_str());
    return;
  }
  // A complete result whose process died while moving it into place (or the earlier result it
  // was replacing): provably tasdsim's through its manifest.
  const std::optional<nlohmann::json> manifest = readSignedJson(entry / kManifestFile);
  if (!manifest) return;
  const std::optional<ProcessIdentity> writer =
      identityFrom(manifest->value("process", nlohmann::json::object()));
  if (writer && writer->host == self().host && whyNotOurFolder(entry).empty())
    removeOurFolder(entry);
}

void removeDeadTemporary(const fs::path& entry, int64_t pid) {
  const std::optional<struct stat> st = lstatOf(entry);
  if (!st || !S_ISREG(st->st_mode) || !pidGone(pid)) return;
  if (whyNotOurFile(entry).empty()) ::unlink(entry.c_str());
}

}  // namespace

const std::string& toolIdentity() {
  static const std::string id = std::string("tasdsim ") + TASDSIM_VERSION;
  return id;
}

std::string plainNameProblem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name == "." || name == "..") return fmt::format("'{}' is not a name", name);
  for (char c : name) {
    if (c == '/' || c == '\\') return "holds a path separator";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "holds a control character";
  }
  return "";
}

fs::path defaultOutputFolder(const std::string& name, const std::string& suffix,
                             const std::string& source) {
  const std::string problem = plainNameProblem(name);
  if (!problem.empty()) {
    throw UserError(fmt::format(
        "{}: '{}' {}; the default output folder is out/<name>, so the name must be one plain "
        "name (no '/', '\\', '..'; or give --out)",
        source, name, problem));
  }
  return fs::path("out") / (name + suffix);
}

fs::path outputPathArgument(const std::string& text, const std::string& option) {
  if (text.empty()) throw UserError(fmt::format("{}: the path is empty", option));
  std::string p = text;
  while (p.size() > 1 && p.back() == '/')
    p.pop_back();
  const fs::path path(p);
  const std::string last = path.filename().string();
  if (p == "/" || last == "." || last == "..") {
    throw UserError(fmt::format(
        "{} '{}': ends in '{}', which names an existing folder, not a new output; give the "
        "output's own name",
        option, text, p == "/" ? "/" : last));
  }
  return path;
}

std::string describeFileType(const fs::path& path) {
  const std::optional<struct stat> st = lstatOf(path);
  return st ? typeName(st->st_mode) : "";
}

std::string whyNotOurFolder(const fs::path& folder) {
  const std::optional<struct stat> st = lstatOf(folder);
  if (!st) return "does not exist";
  if (!S_ISDIR(st->st_mode))
    return fmt::format("is {}, not a folder tasdsim wrote", typeName(st->st_mode));
  if (!lstatOf(folder / kManifestFile)) {
    return fmt::format("is not a tasdsim output folder (it has no {})", kManifestFile);
  }
  const std::optional<Manifest> m = readManifest(folder);
  if (!m) return fmt::format("its {} was not written by tasdsim", kManifestFile);
  std::string why;
  const std::error_code ec = forEachEntry(folder, [&](const std::string& rel, const fs::path& p) {
    const std::optional<struct stat> f = lstatOf(p);
    if (f && S_ISDIR(f->st_mode) && m->folders.count(rel)) return true;
    const auto listed = m->files.find(rel);
    if (listed == m->files.end()) {
      why = fmt::format("holds '{}', which tasdsim did not write", rel);
    } else if (!f || !S_ISREG(f->st_mode)) {
      why = fmt::format("'{}' is {}, not the file tasdsim wrote", rel,
                        f ? typeName(f->st_mode) : "gone");
    } else if (static_cast<uint64_t>(f->st_size) != listed->second) {
      why = fmt::format("'{}' changed after tasdsim wrote it ({} bytes, written with {})", rel,
                        f->st_size, listed->second);
    }
    return why.empty();
  });
  if (!why.empty()) return why;
  if (ec) return fmt::format("cannot be listed: {}", ec.message());
  return "";
}

std::string whyNotOurFile(const fs::path& file) {
  const std::optional<struct stat> st = lstatOf(file);
  if (!st) return "does not exist";
  if (!S_ISREG(st->st_mode))
    return fmt::format("is {}, not a file tasdsim wrote", typeName(st->st_mode));
  std::string head;
  try {
    InputFile in = openInputFile(file);
    head.resize(kSignatureHeadBytes);
    const ssize_t n = ::pread(in.fd(), head.data(), head.size(), 0);
    head.resize(n > 0 ? static_cast<size_t>(n) : 0);
  } catch (const UserError& e) {
    return fmt::format("cannot be checked ({})", e.what());
  }
  if (!hasSignature(head))
    return fmt::format("is not a file tasdsim wrote (it does not start with '{}')",
                       "written by tasdsim");
  return "";
}

std::string manifestText(const fs::path& folder) {
  nlohmann::json files = nlohmann::json::object(), folders = nlohmann::json::array();
  std::string problem;
  const std::error_code ec = forEachEntry(folder, [&](const std::string& rel, const fs::path& p) {
    const std::optional<struct stat> st = lstatOf(p);
    if (st && S_ISDIR(st->st_mode)) {
      folders.push_back(rel);
    } else if (st && S_ISREG(st->st_mode)) {
      files[rel] = static_cast<uint64_t>(st->st_size);
    } else {
      problem = fmt::format("{}: '{}' is {}; an output folder holds regular files and folders only",
                            folder.string(), rel, st ? typeName(st->st_mode) : "gone");
    }
    return problem.empty();
  });
  if (!problem.empty()) throw UserError(problem);
  if (ec)
    throw UserError(
        fmt::format("{}: cannot list the output folder: {}", folder.string(), ec.message()));
  nlohmann::json manifest{
      {"schema", kManifestSchema}, {"files", files}, {"process", identityJson(self())}};
  if (!folders.empty()) manifest["folders"] = folders;
  return signedJson(manifest, "output folder");
}

bool removeOurFolder(const fs::path& folder) {
  const std::optional<Manifest> m = readManifest(folder);
  if (!m) return false;
  for (const auto& [name, size] : m->files) {
    const fs::path p = folder / name;
    const std::optional<struct stat> st = lstatOf(p);
    if (st && S_ISREG(st->st_mode)) ::unlink(p.c_str());
  }
  // Subfolders deepest first; one that holds something else stays (rmdir fails).
  std::vector<std::string> folders(m->folders.begin(), m->folders.end());
  std::sort(folders.begin(), folders.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  for (const std::string& f : folders)
    ::rmdir((folder / f).c_str());
  ::unlink((folder / kStagingMarkerFile).c_str());
  ::unlink((folder / kManifestFile).c_str());
  return ::rmdir(folder.c_str()) == 0;
}

std::string signedJson(const nlohmann::json& object, const std::string& command, int indent) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  nlohmann::ordered_json out;
  out["written_by"] = toolIdentity() + " " + command;
  const nlohmann::ordered_json rest =
      nlohmann::ordered_json::parse(object.dump(-1, ' ', false, kReplace));
  for (const auto& [key, value] : rest.items())
    out[key] = value;
  return out.dump(indent, ' ', false, kReplace) + "\n";
}

std::string signedYaml(const std::string& yaml, const std::string& command) {
  return "# written by " + toolIdentity() + " " + command + "\n" + yaml;
}

bool hasSignature(std::string_view head) {
  const std::string_view tool = "tasdsim";
  if (head.rfind("# written by tasdsim", 0) == 0) return true;
  size_t pos = 0;
  auto skipSpace = [&] {
    while (pos < head.size() &&
           (head[pos] == ' ' || head[pos] == '\n' || head[pos] == '\t' || head[pos] == '\r'))
      ++pos;
  };
  auto take = [&](std::string_view s) {
    skipSpace();
    if (head.substr(pos, s.size()) != s) return false;
    pos += s.size();
    return true;
  };
  return take("{") && take("\"written_by\"") && take(":") && take("\"") &&
         head.substr(pos, tool.size()) == tool;
}

std::string stagingMarkerText() {
  return signedJson(identityJson(self()), "staging folder");
}

void removeDeadLeftovers(const fs::path& target) {
  const std::string name = target.filename().string();
  const std::string stagingPrefix = "." + name + ".partial-", tmpPrefix = name + ".tmp-";
  std::error_code ec;
  for (fs::directory_iterator it(parentOf(target), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    if (entry.rfind(stagingPrefix, 0) == 0) {
      std::string rest = entry.substr(stagingPrefix.size());
      if (rest.size() > 4 && rest.compare(rest.size() - 4, 4, ".old") == 0)
        rest.resize(rest.size() - 4);
      if (const auto pid = pidSuffix(rest)) removeDeadStaging(it->path(), *pid);
    } else if (entry.rfind(tmpPrefix, 0) == 0) {
      if (const auto pid = pidSuffix(entry.substr(tmpPrefix.size())))
        removeDeadTemporary(it->path(), *pid);
    }
  }
}

OutputClaim::OutputClaim(const fs::path& target)
    : lockPath_(parentOf(target) / ("." + target.filename().string() + ".lock")) {
  for (int attempt = 0; attempt < kClaimAttempts; ++attempt) {
    const int fd =
        ::open(lockPath_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0666);
    if (fd < 0) {
      throw UserError(fmt::format("{}: cannot create the lock file {}: {}", target.string(),
                                  lockPath_.string(), reason(errno)));
    }
    struct stat held {};
    if (::fstat(fd, &held) != 0 || !S_ISREG(held.st_mode)) {
      ::close(fd);
      throw UserError(fmt::format("{}: the lock file {} is {}, not a regular file", target.string(),
                                  lockPath_.string(), describeFileType(lockPath_)));
    }
    // What the file holds: empty (just made, or its maker has not written yet) or tasdsim's
    // lock text. A file of that name that tasdsim did not make is neither used nor removed.
    char text[64] = {};
    const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
    const std::string_view head(text, got > 0 ? static_cast<size_t>(got) : 0);
    const std::string_view lockText(kLockText);
    if (head.substr(0, lockText.size()) != lockText.substr(0, head.size())) {
      ::close(fd);
      throw UserError(
          fmt::format("{}: {} exists and is not a tasdsim lock file; remove it or "
                      "choose another path",
                      target.string(), lockPath_.string()));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      std::string pid =
          head.size() > lockText.size() ? std::string(head.substr(lockText.size())) : "";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
        pid.pop_back();
      if (error == EWOULDBLOCK) {
        throw UserError(
            fmt::format("{}: another tasdsim process{} is writing this output; wait for "
                        "it to finish or choose another path",
                        target.string(), pid.empty() ? "" : " (pid " + pid + ")"));
      }
      throw UserError(fmt::format("{}: cannot lock {}: {}", target.string(), lockPath_.string(),
                                  reason(error)));
    }
    // The lock file may have been removed (and made anew) by its previous holder between our
    // open and our lock: then we hold a lock on a file nobody else sees; try again.
    const std::optional<struct stat> now = lstatOf(lockPath_);
    if (now && now->st_dev == held.st_dev && now->st_ino == held.st_ino) {
      const std::string owner = std::string(kLockText) + std::to_string(::getpid()) + "\n";
      if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, owner.data(), owner.size(), 0) < 0) {
        // The pid only improves another process's message; the lock itself holds.
      }
      fd_ = fd;
      pending_ = std::make_unique<PendingOutput>(lockPath_);
      return;
    }
    ::close(fd);
  }
  throw UserError(fmt::format("{}: cannot claim the output: its lock file {} keeps changing",
                              target.string(), lockPath_.string()));
}

OutputClaim::~OutputClaim() {
  struct stat held {};
  const std::optional<struct stat> now = lstatOf(lockPath_);
  if (::fstat(fd_, &held) == 0 && now && now->st_dev == held.st_dev && now->st_ino == held.st_ino) {
    ::unlink(lockPath_.c_str());
  }
  ::close(fd_);
}

}  // namespace tasdsim
