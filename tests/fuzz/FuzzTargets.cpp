#include "tests/fuzz/FuzzTargets.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Output.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/io/Npy.h"
#include "sw/model/Onnx.h"
#include "sw/model/Tflite.h"
#include "sw/model/TfliteGraph.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Experiment.h"
#include "sw/tasd/CompressedTerm.h"
#include "sw/tasd/Decompose.h"
#include "sw/workload/SyntheticNetwork.h"
#include "sw/workload/Workload.h"
#include "tests/fuzz/MicrocodeRun.h"

namespace tasdsim::fuzz {
namespace {

std::vector<uint8_t> bytesOf(const uint8_t* d, size_t n) {
  return std::vector<uint8_t>(d, d + n);
}
std::string textOf(const uint8_t* d, size_t n) {
  return std::string(reinterpret_cast<const char*>(d), n);
}

namespace fs = std::filesystem;

// A scratch folder that looks like the source tree: configs/experiments/ for the input, the
// other configs folders and realdata/ linked to the shipped ones. Removed at exit.
struct ExperimentDir {
  fs::path scratch, root;  // root: the scratch configs/ folder
  ExperimentDir() {
    const char* src = std::getenv("TASDSIM_SOURCE_DIR");
    const fs::path source = src ? src : TASDSIM_SOURCE_DIR;
    std::string tmpl = (fs::temp_directory_path() / "tasdsim-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    scratch = tmpl;
    root = scratch / "configs";
    fs::create_directories(root / "experiments");
    for (const char* sub : {"arch", "energy", "workloads", "plans"})
      fs::create_directory_symlink(source / "configs" / sub, root / sub);
    if (fs::exists(source / "realdata"))
      fs::create_directory_symlink(source / "realdata", scratch / "realdata");
  }
  ~ExperimentDir() {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  }
};

bool rejected(const UserError& e) {
  if (std::getenv("TASDSIM_FUZZ_VERBOSE")) std::fprintf(stderr, "rejected: %s\n", e.what());
  return false;
}

}  // namespace

bool npy(const uint8_t* d, size_t n) {
  try {
    const io::NpyArray a = io::parseNpy(bytesOf(d, n), "fuzz.npy");
    // Small float arrays are also decomposed, as tasdsim decompose would.
    if (a.shape.size() == 2 && a.elements() <= 4096 && a.type != io::NpyType::I8) {
      const tasd::MatrixF m(a.shape[0], a.shape[1], a.toFloat());
      (void)tasd::decompose(m, tasd::Series::parse("2:8+1:8"));
    }
  } catch (const UserError& e) {
    return rejected(e);
  }
  return true;
}

bool tasdTerm(const uint8_t* d, size_t n) {
  try {
    const tasd::CompressedTerm t = tasd::CompressedTerm::deserialize(bytesOf(d, n), "fuzz.tasd");
    if (t.rows() * t.cols() <= (1u << 16)) (void)t.toDenseF();
  } catch (const UserError& e) {
    return rejected(e);
  }
  return true;
}

bool config(const uint8_t* d, size_t n) {
  if (n == 0) return false;
  const std::string text = textOf(d + 1, n - 1);
  // Named as if beside the shipped configs, so that relative paths (an arch's energy table)
  // resolve.
  static const ExperimentDir dir;
  const std::string arch = (dir.root / "arch" / "fuzz.yaml").string();
  try {
    switch (d[0] % 5) {
      case 0:
        (void)config::parseArch(config::loadString(text, arch), arch);
        break;
      case 1:
        (void)config::parseEnergy(config::loadString(text, "fuzz-energy.yaml"));
        break;
      case 2:
        (void)workload::syntheticWorkload(config::loadString(text, "fuzz-workload.yaml"));
        break;
      case 3:
        (void)plan::Plan::fromYaml(config::loadString(text, "fuzz-plan.yaml"));
        break;
      default: {
        // --set overrides: the text is one assignment applied to an empty tree.
        YAML::Node root(YAML::NodeType::Map);
        config::applyOverride(root, text, "--set");
        break;
      }
    }
  } catch (const UserError& e) {
    return rejected(e);
  }
  return true;
}

bool experiment(const uint8_t* d, size_t n) {
  static const ExperimentDir dir;
  const fs::path file = dir.root / "experiments" / "fuzz.yaml";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(d), static_cast<std::streamsize>(n));
  }
  try {
    (void)runtime::Experiment::load(file.string(), {});
  } catch (const UserError& e) {
    return rejected(e);
  }
  return true;
}

// As tasdsim import does: parse, find the layers (one executor run on a zero input), lower the
// weights (a second run).
bool onnx(const uint8_t* d, size_t n) {
  try {
    auto graph = std::make_shared<model::Graph>(model::parseOnnx(bytesOf(d, n), "fuzz.onnx"));
    // Dynamic dimensions as a user would fix them with --input-shape: batch 1, others 64.
    std::vector<int64_t> fixed;
    if (!graph->inputs.empty()) {
      const std::vector<int64_t>& dims = graph->inputs.front().dims;
      bool dynamic = false;
      for (size_t i = 1; i < dims.size(); ++i)
        dynamic = dynamic || dims[i] < 0;
      if (dynamic) {
        for (size_t i = 0; i < dims.size(); ++i)
          fixed.push_back(dims[i] >= 0 ? dims[i] : (i == 0 ? 1 : 64));
      }
    }
    const workload::Workload w = workload::modelWorkload(graph, fixed, 1);
    (void)workload::layerWeights(w);
  } catch (const UserError& e) {
    return rejected(e);
  }
  return true;
}

// As tasdsim import and run do: the TFLite model as a graph, its layers from one executor run.
bool tflite(const uint8_t* d, size_t n) {
  try {
    auto graph = std::make_shared<model::Graph>(model::tfliteGraph(bytesOf(d, n), "fuzz.tflite"));
    const workload::Workload w = workload::modelWorkload(graph, {}, 1);
    (void)workload::layerWeights(w);
  } catch (const UserError& e) {
    return rejected(e);
  }
  return true;
}

bool series(const uint8_t* d, size_t n) {
  try {
    (void)tasd::Series::parse(textOf(d, n));
  } catch (const UserError& e) {
    return rejected(e);
  }
  return true;
}

namespace {

// ---- the file-system target --------------------------------------------------------------------

enum class FsOperation : uint8_t { Folder, File, Read, DefaultFolder, OutArgument, Count };
constexpr uint8_t kFlagOverwrite = 1, kFlagAbandon = 2;

void writeBytes(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// The pid of a process that has ended (its leftovers may be removed).
pid_t deadPid() {
  static const pid_t pid = [] {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
  }();
  return pid;
}

std::string deadMarker() {
  nlohmann::ordered_json m = nlohmann::ordered_json::parse(stagingMarkerText());
  m["pid"] = deadPid();
  m["start_ticks"] = 1;
  return m.dump(2);
}

// An entry as a snapshot sees it: its type and, for files and links, what they hold.
std::string entryState(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return "missing";
  if (S_ISLNK(st.st_mode)) return "link:" + fs::read_symlink(p).string();
  if (S_ISDIR(st.st_mode)) return "dir";
  if (S_ISREG(st.st_mode)) {
    std::ifstream in(p, std::ios::binary);
    return "file:" + std::string(std::istreambuf_iterator<char>(in), {});
  }
  return "special:" + std::to_string(st.st_mode & S_IFMT);
}

std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    out[fs::relative(it->path(), root).string()] = entryState(it->path());
  }
  return out;
}

// A scratch tree: case/victim (the user's folder elsewhere) and case/work, where paths are
// resolved: the user's file and folder, tasdsim results (clean and with a user's file added),
// a signed output file, links (to the victim folder, a victim file, nowhere, and up), a FIFO,
// leftovers of a dead tasdsim process (removable) and look-alikes without proof (not).
struct FsCase {
  fs::path root, work;
  std::set<std::string> removable;  // relative to root

  explicit FsCase(const fs::path& base) : root(base / "case"), work(root / "work") {
    fs::remove_all(root);
    fs::create_directories(root / "victim" / "photos");
    writeBytes(root / "victim" / "thesis.tex", "\\chapter{Results}\n");
    writeBytes(root / "victim" / "photos" / "a.jpg", "\xff\xd8\xff");
    fs::create_directories(work / "dir");
    writeBytes(work / "dir" / "notes.txt", "mine\n");
    writeBytes(work / "file", "a user's file\n");
    for (const char* name : {"result", "dirty"}) {
      StagingDir d(work / name);
      writeFileAtomic(d.file("stats.json"), std::string("{}\n"));
      d.commit();
    }
    writeBytes(work / "dirty" / "notes.txt", "added by the user\n");
    {
      OutputFile f(work / "signed.json", false, "--json");
      f.write(signedJson({{"v", 1}}, "fuzz"));
    }
    fs::create_directory_symlink("../victim", work / "link");
    fs::create_symlink("../victim/thesis.tex", work / "flink");
    fs::create_symlink("nowhere", work / "dangling");
    fs::create_directory_symlink("..", work / "up");
    if (mkfifo((work / "fifo").c_str(), 0600) != 0) std::abort();
    const std::string dead = std::to_string(deadPid());
    fs::create_directory(work / (".result.partial-" + dead));
    writeBytes(work / (".result.partial-" + dead) / kStagingMarkerFile, deadMarker());
    removable.insert("work/.result.partial-" + dead);
    removable.insert("work/.result.partial-" + dead + "/" + kStagingMarkerFile);
    writeBytes(work / ("signed.json.tmp-" + dead), signedJson({{"v", 0}}, "fuzz"));
    removable.insert("work/signed.json.tmp-" + dead);
    fs::create_directory(work / (".file.partial-" + dead));  // no marker: not provably tasdsim's
    writeBytes(work / ".dir.lock", "not a lock\n");
  }
  ~FsCase() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

// The target as the file system will see it: its parent resolved, its own name not (a link is
// never followed at the target).
std::optional<fs::path> resolvedTarget(const fs::path& target) {
  std::error_code ec;
  const fs::path parent =
      fs::canonical(target.parent_path().empty() ? "." : target.parent_path(), ec);
  if (ec) return std::nullopt;
  return parent / target.filename();
}

bool under(const fs::path& p, const fs::path& folder) {
  const std::string a = p.lexically_normal().string(), b = folder.lexically_normal().string();
  return a == b || (a.size() > b.size() && a.compare(0, b.size(), b) == 0 && a[b.size()] == '/');
}

void require(bool ok, const char* invariant, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "fuzz outputs: %s: %s\n", invariant, detail.c_str());
  std::abort();
}

}  // namespace

bool outputs(const uint8_t* d, size_t n) {
  if (n < 2) return false;
  const auto op = static_cast<FsOperation>(d[0] % static_cast<uint8_t>(FsOperation::Count));
  const uint8_t flags = d[1];
  const std::string text = textOf(d + 2, n - 2);
  if (text.find('\0') != std::string::npos) return false;  // not a path the command line can carry
  // Names and --out arguments: pure functions.
  try {
    if (op == FsOperation::DefaultFolder) {
      const fs::path p = defaultOutputFolder(text, "", "fuzz");
      const fs::path norm = p.lexically_normal();
      require(norm == p && std::distance(p.begin(), p.end()) == 2 && *p.begin() == "out",
              "confined under out/", p.string());
      return true;
    }
    if (op == FsOperation::OutArgument) {
      const fs::path p = outputPathArgument(text, "--out");
      const std::string last = p.filename().string();
      require(!last.empty() && last != "." && last != "..", "names a new entry", p.string());
      return true;
    }
  } catch (const UserError& e) {
    return rejected(e);
  }
  fs::path given;
  try {
    given = op == FsOperation::Read
                ? fs::path(text)
                : outputPathArgument(text, op == FsOperation::Folder ? "--out" : "--json");
  } catch (const UserError& e) {
    return rejected(e);
  }
  // Paths stay inside the scratch case (which is what the invariants watch).
  if (given.is_absolute()) return false;
  static const ExperimentDir base;
  FsCase c(base.scratch);
  const fs::path root = fs::canonical(c.root);
  const fs::path target = c.work / given;
  const std::optional<fs::path> real = resolvedTarget(target);
  if (real && !under(*real, root)) return false;
  const bool overwrite = flags & kFlagOverwrite, complete = !(flags & kFlagAbandon);
  const std::map<std::string, std::string> before = snapshot(root);
  const bool targetIsOurs =
      real && (whyNotOurFolder(*real).empty() || whyNotOurFile(*real).empty());
  bool accepted = true;
  try {
    if (op == FsOperation::Folder) {
      StagingDir dir(target, overwrite);
      writeFileAtomic(dir.file("stats.json"), std::string("{\"new\": true}\n"));
      if (complete) dir.commit();
    } else if (op == FsOperation::File) {
      OutputFile file(target, overwrite, "--json");
      if (complete) file.write(signedJson({{"v", 2}}, "fuzz"));
    } else {
      (void)readFileBytes(target);
    }
  } catch (const UserError& e) {
    accepted = rejected(e);
  }
  // Every entry that existed is unchanged, unless it is the target and tasdsim's (replaced) or
  // a removable leftover; nothing new exists except at the target, and only when written.
  const std::map<std::string, std::string> after = snapshot(root);
  const fs::path replaceable = real ? fs::relative(*real, root) : fs::path();
  auto atTarget = [&](const std::string& rel) { return real && under(fs::path(rel), replaceable); };
  const bool writes = op != FsOperation::Read;
  for (const auto& [rel, state] : before) {
    const auto now = after.find(rel);
    if (now != after.end() && now->second == state) continue;
    if (c.removable.count(rel) || (writes && targetIsOurs && atTarget(rel))) continue;
    require(false, "an entry that was not tasdsim's changed or vanished",
            rel + " (path '" + text + "')");
  }
  for (const auto& [rel, state] : after) {
    if (before.count(rel)) continue;
    require(writes && accepted && complete && atTarget(rel), "something new beside the target",
            rel + " (path '" + text + "')");
  }
  return accepted;
}

Target targetByName(const std::string& name) {
  if (name == "npy") return npy;
  if (name == "tasd_term") return tasdTerm;
  if (name == "config") return config;
  if (name == "experiment") return experiment;
  if (name == "onnx") return onnx;
  if (name == "tflite") return tflite;
  if (name == "series") return series;
  if (name == "outputs") return outputs;
  return nullptr;
}

std::vector<std::string> targetNames() {
  return {"npy", "tasd_term", "config", "experiment", "onnx", "tflite", "series", "outputs"};
}

namespace {

void addFiles(std::vector<Input>& out, const fs::path& dir, const std::string& ext,
              uint8_t selector = 0, bool withSelector = false) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ext) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    Input in{f.filename().string(), readFileBytes(f)};
    if (withSelector) in.bytes.insert(in.bytes.begin(), selector);
    out.push_back(std::move(in));
  }
}

fs::path realdataDir(const fs::path& source) {
  const char* env = std::getenv("TASDSIM_REALDATA");
  return env ? fs::path(env) : source / "realdata";
}

}  // namespace

std::vector<Input> seeds(const std::string& target, const std::string& sourceDir) {
  const fs::path src(sourceDir);
  std::vector<Input> out;
  if (target == "npy") {
    addFiles(out, src / "examples" / "tensors", ".npy");
    const float values[] = {0.5f, -1.0f, 0.0f, 2.0f, -0.25f, 3.0f, 0.0f, 1.0f};
    out.push_back({"small_f32.npy", io::encodeNpy({2, 4}, values)});
    const int8_t i8[] = {1, -2, 3, 0, 5, -6, 0, 8};
    out.push_back({"small_i8.npy", io::encodeNpy({1, 8}, i8)});
  } else if (target == "tasd_term") {
    tasd::MatrixF m(6, 20);
    for (size_t i = 0; i < m.rows() * m.cols(); ++i)
      m.data()[i] = static_cast<float>((i * 37) % 11) - 5.0f;
    const auto f = tasd::decompose(m, tasd::Series::parse("2:8+1:4"));
    for (size_t t = 0; t < f.terms.size(); ++t)
      out.push_back({"f32_term" + std::to_string(t) + ".tasd", f.terms[t].serialize()});
    const auto b = tasd::decompose(m, tasd::Series::parse("4:8"), tasd::DType::BF16);
    out.push_back({"bf16_term.tasd", b.terms[0].serialize()});
    tasd::MatrixI8 q(3, 16);
    for (size_t i = 0; i < q.rows() * q.cols(); ++i)
      q.data()[i] = static_cast<int8_t>((i * 29) % 15) - 7;
    out.push_back(
        {"i8_term.tasd", tasd::decompose(q, tasd::Series::parse("1:16")).terms[0].serialize()});
  } else if (target == "config") {
    addFiles(out, src / "configs" / "arch", ".yaml", 0, true);
    addFiles(out, src / "configs" / "energy", ".yaml", 1, true);
    addFiles(out, src / "configs" / "workloads", ".yaml", 2, true);
    addFiles(out, src / "configs" / "plans", ".yaml", 3, true);
    for (const char* o :
         {"arch.peArray.rows=8", "workload.layers[0].k=64", "energy.dram_read_pj_per_byte=10.5"}) {
      Input in{"override", std::vector<uint8_t>(o, o + std::string(o).size())};
      in.bytes.insert(in.bytes.begin(), uint8_t{4});
      out.push_back(std::move(in));
    }
  } else if (target == "experiment") {
    addFiles(out, src / "configs" / "experiments", ".yaml");
  } else if (target == "onnx") {
    addFiles(out, src / "tests" / "fuzz" / "seeds" / "onnx", ".onnx");
    const fs::path cls =
        realdataDir(src) / "ocr-models" / "assets" / "ch_ppocr_mobile_v2.0_cls_infer.onnx";
    std::error_code ec;
    if (fs::is_regular_file(cls, ec)) out.push_back({cls.filename().string(), readFileBytes(cls)});
  } else if (target == "tflite") {
    const fs::path fd = realdataDir(src) / "face_detection";
    for (const char* f :
         {"face_detection_short_range.tflite", "face_detection_full_range_sparse.tflite"}) {
      std::error_code ec;
      if (fs::is_regular_file(fd / f, ec)) out.push_back({f, readFileBytes(fd / f)});
    }
  } else if (target == "series") {
    for (const char* s : {"2:8+1:8", "dense", "4:8+2:8+1:8", "1:32", "2:4+1:4", "8:8"}) {
      out.push_back({s, std::vector<uint8_t>(s, s + std::string(s).size())});
    }
  } else if (target == "outputs") {
    // Each accepted: new outputs (also through a link to a folder), earlier results and files
    // replaced, inputs read, names and --out arguments as tasdsim takes them.
    const std::vector<std::pair<FsOperation, std::pair<uint8_t, const char*>>> cases{
        {FsOperation::Folder, {0, "new"}},
        {FsOperation::Folder, {kFlagOverwrite, "result/"}},
        {FsOperation::Folder, {0, "link/new"}},
        {FsOperation::Folder, {0, "up/work/dir/sub"}},
        {FsOperation::File, {0, "new.json"}},
        {FsOperation::File, {kFlagOverwrite, "signed.json"}},
        {FsOperation::Read, {0, "flink"}},
        {FsOperation::Read, {0, "result/stats.json"}},
        {FsOperation::DefaultFolder, {0, "tiny"}},
        {FsOperation::OutArgument, {0, "a/b//"}}};
    int i = 0;
    for (const auto& [op, rest] : cases) {
      std::vector<uint8_t> bytes{static_cast<uint8_t>(op), rest.first};
      bytes.insert(bytes.end(), rest.second, rest.second + std::string(rest.second).size());
      out.push_back({"case" + std::to_string(i++), std::move(bytes)});
    }
  } else if (target == "microcode") {
    int i = 0;
    for (std::vector<uint8_t>& b : microcodeSeeds())
      out.push_back({"program" + std::to_string(i++) + ".bin", std::move(b)});
  } else {
    throw UserError("unknown fuzz target '" + target + "'");
  }
  return out;
}

}  // namespace tasdsim::fuzz
