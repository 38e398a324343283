// SPDX-License-Identifier: Apache-2.0
// feature_cache.cpp: reads and writes the per-boot cache of attach-type answers.
#include "feature_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "cgroup_files.h"
#include "features.skel.h"
#include "private_files.h"

namespace podtrace::tracer {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kHeader = "podtrace-kernel-features 1";
// A cache is a few hundred bytes; anything much larger is not ours.
constexpr size_t kMaxBytes = 16384;

// The effective capability mask from /proc/self/status ("CapEff:\t000001ffffffffff").
std::string effective_capabilities() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("CapEff:", 0) == 0) {
      const size_t start = line.find_first_not_of(" \t", 7);
      return start == std::string::npos ? "" : line.substr(start);
    }
  return "";
}

std::string object_hash() {
  size_t size = 0;
  const auto* bytes = static_cast<const unsigned char*>(features_bpf__elf_bytes(&size));
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < size; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

// Printable ASCII only: a reason goes to terminals and reports; nothing else is ours.
bool printable(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string printable_copy(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = ' ';
  return text;
}

// A directory or file only this user can have written: owned by us, not writable by others.
std::vector<std::pair<std::string, std::string>> key_fields(const FeatureCacheKey& key) {
  return {{"boot_id", key.boot_id},         {"version", key.version},
          {"object", key.object},           {"capabilities", key.capabilities},
          {"cgroup_root", key.cgroup_root}, {"tracefs", key.tracefs}};
}

std::optional<std::map<AttachType, FeatureResult>> parse(const std::string& text,
                                                         const FeatureCacheKey& key) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) return std::nullopt;
  for (const auto& [name, value] : key_fields(key))
    if (!std::getline(in, line) || line != name + " " + value) return std::nullopt;
  std::map<AttachType, FeatureResult> answers;
  while (std::getline(in, line)) {
    if (!printable(line)) return std::nullopt;
    const size_t space = line.find(' ');
    if (space == std::string::npos) return std::nullopt;
    const auto type = attach_type_from_name(line.substr(0, space));
    if (!type || answers.count(*type)) return std::nullopt;
    const std::string rest = line.substr(space + 1);
    if (rest == "ok")
      answers[*type] = {true, ""};
    else if (rest.rfind("no ", 0) == 0 && rest.size() > 3)
      answers[*type] = {false, rest.substr(3)};
    else
      return std::nullopt;
  }
  if (answers.size() != kAllAttachTypes.size()) return std::nullopt;
  return answers;
}

}  // namespace

std::optional<FeatureCacheKey> current_feature_cache_key(const HostRoots& roots) {
  FeatureCacheKey key;
  key.boot_id = read_first_line("/proc/sys/kernel/random/boot_id").value_or("");
  if (key.boot_id.empty() || !printable(key.boot_id)) return std::nullopt;
  key.version = PODTRACE_VERSION;
  key.object = object_hash();
  key.capabilities = effective_capabilities();
  key.cgroup_root = printable_copy(roots.cgroup.string());
  const bool tracefs = access("/sys/kernel/tracing/events", F_OK) == 0 ||
                       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
  key.tracefs = tracefs ? "yes" : "no";
  return key;
}

fs::path feature_cache_path() {
  if (const char* p = std::getenv("PODTRACE_FEATURE_CACHE")) return p;
  return "/run/podtrace/kernel-features";
}

std::optional<std::map<AttachType, FeatureResult>> read_feature_cache(const fs::path& file,
                                                                      const FeatureCacheKey& key) {
  const auto text = read_private_file(file, kMaxBytes);
  if (!text || text->empty()) return std::nullopt;
  return parse(*text, key);
}

Status write_feature_cache(const fs::path& file, const FeatureCacheKey& key,
                           const std::map<AttachType, FeatureResult>& answers) {
  if (file.empty()) return make_error("no feature cache path");
  for (AttachType type : kAllAttachTypes)
    if (!answers.count(type))
      return make_error(fmt::format("no answer for {}", attach_type_name(type)));
  const fs::path dir = file.parent_path();
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(fmt::format("mkdir {}: {}", dir.string(), std::strerror(errno)));
  if (!directory_is_private(dir))
    return make_error(dir.string() + " is not a directory only this user can write");
  std::string text = std::string(kHeader) + "\n";
  for (const auto& [name, value] : key_fields(key)) text += name + " " + value + "\n";
  for (AttachType type : kAllAttachTypes) {
    const FeatureResult& r = answers.at(type);
    std::string reason = printable_copy(r.reason);
    if (reason.empty()) reason = "unavailable";
    text += fmt::format("{} {}\n", attach_type_name(type), r.works ? "ok" : "no " + reason);
  }
  std::string temp = (dir / ".kernel-features.XXXXXX").string();
  const int fd = mkstemp(temp.data());  // 0600, O_EXCL
  if (fd < 0) return make_error(fmt::format("mkstemp in {}: {}", dir.string(), strerror(errno)));
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written || rename(temp.c_str(), file.c_str()) != 0) {
    const int err = errno;
    unlink(temp.c_str());
    return make_error(fmt::format("write {}: {}", file.string(), strerror(err)));
  }
  return ok_status();
}

bool probe_features_cached(const LiveKernelFeatures& live, const fs::path& file,
                           const std::optional<FeatureCacheKey>& key, bool fresh) {
  if (key && !fresh) {
    if (auto cached = read_feature_cache(file, *key)) {
      live.seed(*cached);
      return true;
    }
  }
  live.probe_all();
  // Best effort: without a cache the next start probes again.
  if (key) (void)write_feature_cache(file, *key, live.known());
  return false;
}

}  // namespace podtrace::tracer
