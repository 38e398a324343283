// SPDX-License-Identifier: Apache-2.0
// feature_cache_test.cpp: the per-boot cache of attach-type answers. Fresh probes on this kernel
// are the truth; a cache that answers for this boot is used (a planted answer shows in the
// tracer's report), and a damaged, foreign, loosely owned or linked one is ignored and rewritten
// from fresh probes, so it can neither break nor mislead the tracer.
#include "feature_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "family_args.h"
#include "kernel_features.h"
#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;

using Answers = std::map<AttachType, FeatureResult>;

// This kernel's answers, probed once for the whole file.
const Answers& truth() {
  static const Answers answers = [] {
    LiveKernelFeatures live;
    live.probe_all();
    live.settle();
    return live.known();
  }();
  return answers;
}

bool same(const Answers& a, const Answers& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [type, r] : a) {
    auto it = b.find(type);
    if (it == b.end() || it->second.works != r.works || it->second.reason != r.reason) return false;
  }
  return true;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& path, const std::string& text, mode_t mode = 0600) {
  fs::remove(path);
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
}

// A cache that lies about tp_btf, well formed and ours: only its content can tell.
Answers planted() {
  Answers lie = truth();
  lie[AttachType::kTpBtf] = {false, "planted by the cache test"};
  return lie;
}

class FeatureCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(truth().size(), kAllAttachTypes.size());
    ASSERT_TRUE(truth().at(AttachType::kTpBtf).works) << "the planted answer must differ";
    auto k = current_feature_cache_key(HostRoots{});
    ASSERT_TRUE(k);
    key = *k;
    dir = make_temp_dir("pt-feature-cache") / "podtrace";
    file = dir / "kernel-features";
  }
  void TearDown() override { fs::remove_all(dir.parent_path()); }

  // A cache file holding `answers`, written the tracer's way.
  void plant(const Answers& answers) {
    auto ok = write_feature_cache(file, key, answers);
    ASSERT_TRUE(ok) << ok.error();
  }

  FeatureCacheKey key;
  fs::path dir, file;
};

TEST_F(FeatureCacheTest, ProbesOnceWritesTheAnswersAndTheNextStartReadsThem) {
  LiveKernelFeatures first;
  EXPECT_FALSE(probe_features_cached(first, file, key, false)) << "no cache yet: probed";
  first.settle();
  EXPECT_TRUE(same(first.known(), truth()));
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  LiveKernelFeatures second;
  EXPECT_TRUE(probe_features_cached(second, file, key, false)) << slurp(file);
  EXPECT_TRUE(same(second.known(), truth()));
}

TEST_F(FeatureCacheTest, ACacheForThisBootIsUsedAndFreshProbesIgnoreIt) {
  plant(planted());
  LiveKernelFeatures cached;
  EXPECT_TRUE(probe_features_cached(cached, file, key, false));
  // Answered from the file: no probe would say this.
  EXPECT_EQ(cached.probe(AttachType::kTpBtf).reason, "planted by the cache test");

  LiveKernelFeatures fresh;  // --check
  EXPECT_FALSE(probe_features_cached(fresh, file, key, true));
  fresh.settle();
  EXPECT_TRUE(fresh.has(AttachType::kTpBtf));
  auto rewritten = read_feature_cache(file, key);
  ASSERT_TRUE(rewritten);
  EXPECT_TRUE(same(*rewritten, truth()));
}

// Each way a cache file can be bad: after the tracer's start it answered nothing, the answers
// are this kernel's own, and the file holds them again.
struct Damage {
  std::string name;
  std::function<void(const fs::path& file, const std::string& good)> apply;
};

std::string replace_line(std::string text, const std::string& prefix, const std::string& line) {
  const size_t at = text.find("\n" + prefix);
  const size_t end = text.find('\n', at + 1);
  return text.substr(0, at + 1) + line + text.substr(end);
}

std::vector<Damage> damages() {
  return {
      {"Garbage",
       [](const fs::path& f, const std::string&) {
         spit(f,
              "\x7f"
              "ELF\x01\x02\n");
       }},
      {"Empty", [](const fs::path& f, const std::string&) { spit(f, ""); }},
      {"Truncated",
       [](const fs::path& f, const std::string& good) {
         spit(f, good.substr(0, good.rfind('\n', good.size() - 2) + 1));
       }},
      {"AnotherBoot",
       [](const fs::path& f, const std::string& good) {
         spit(f, replace_line(good, "boot_id ", "boot_id 00000000-0000-0000-0000-000000000000"));
       }},
      {"AnotherVersion",
       [](const fs::path& f, const std::string& good) {
         spit(f, replace_line(good, "version ", "version 0.0.0-other"));
       }},
      {"AnotherObject",
       [](const fs::path& f, const std::string& good) {
         spit(f, replace_line(good, "object ", "object 0000000000000000"));
       }},
      {"AnotherCgroupRoot",
       [](const fs::path& f, const std::string& good) {
         spit(f, replace_line(good, "cgroup_root ", "cgroup_root /elsewhere"));
       }},
      {"DuplicateAnswer",
       [](const fs::path& f, const std::string& good) {
         spit(f, replace_line(good, "kprobe ", "tp_btf no twice"));
       }},
      {"UnknownAttachType",
       [](const fs::path& f, const std::string& good) { spit(f, good + "warp_drive ok\n"); }},
      {"TerminalEscapeInAReason",
       [](const fs::path& f, const std::string& good) {
         spit(f, replace_line(good, "tp_btf ", "tp_btf no \x1b[2Jcleared"));
       }},
      {"Oversized",
       [](const fs::path& f, const std::string& good) { spit(f, good + std::string(20000, '#')); }},
      {"WritableByOthers", [](const fs::path& f, const std::string& good) { spit(f, good, 0666); }},
      {"OwnedByAnotherUser",
       [](const fs::path& f, const std::string& good) {
         spit(f, good);
         ASSERT_EQ(chown(f.c_str(), 65534, 65534), 0);
       }},
      {"ADirectory",
       [](const fs::path& f, const std::string&) {
         fs::remove(f);
         fs::create_directory(f);
       }},
  };
}

class BadFeatureCacheTest : public FeatureCacheTest,
                            public ::testing::WithParamInterface<Damage> {};

TEST_P(BadFeatureCacheTest, IsIgnoredAndRewrittenFromFreshProbes) {
  plant(planted());
  const std::string good = slurp(file);
  ASSERT_TRUE(read_feature_cache(file, key)) << "the undamaged file is a valid cache";
  GetParam().apply(file, good);
  EXPECT_FALSE(read_feature_cache(file, key));

  LiveKernelFeatures live;
  EXPECT_FALSE(probe_features_cached(live, file, key, false));
  live.settle();
  EXPECT_TRUE(same(live.known(), truth())) << "no planted answer survived";
  if (GetParam().name == "ADirectory") return;  // rename cannot replace a directory: no cache
  auto rewritten = read_feature_cache(file, key);
  ASSERT_TRUE(rewritten) << slurp(file);
  EXPECT_TRUE(same(*rewritten, truth()));
}

INSTANTIATE_TEST_SUITE_P(Damages, BadFeatureCacheTest, ::testing::ValuesIn(damages()),
                         [](const auto& info) { return info.param.name; });

TEST_F(FeatureCacheTest, ALinkInPlaceOfTheCacheIsNotFollowedAndItsTargetIsUntouched) {
  plant(planted());
  const fs::path elsewhere = dir.parent_path() / "elsewhere";
  fs::rename(file, elsewhere);
  const std::string before = slurp(elsewhere);
  fs::create_symlink(elsewhere, file);
  EXPECT_FALSE(read_feature_cache(file, key));

  LiveKernelFeatures live;
  EXPECT_FALSE(probe_features_cached(live, file, key, false));
  EXPECT_TRUE(same(live.known(), truth()));
  EXPECT_FALSE(fs::is_symlink(file)) << "replaced by a file of our own";
  EXPECT_EQ(slurp(elsewhere), before);
}

TEST_F(FeatureCacheTest, ADirectoryOthersCanWriteIsNeitherReadNorWritten) {
  plant(planted());
  chmod(dir.c_str(), 0777);
  EXPECT_FALSE(read_feature_cache(file, key));
  LiveKernelFeatures live;
  EXPECT_FALSE(probe_features_cached(live, file, key, false));
  EXPECT_TRUE(same(live.known(), truth()));
  EXPECT_FALSE(write_feature_cache(file, key, truth()));
}

// The tracer binary itself: the planted answer reaches its report when the file is sound, and
// not when the same file is writable by others.
nlohmann::json tracer_kernel_features(const fs::path& cache, const TestCgroup& target) {
  const std::string off = families_except("process");
  setenv("PODTRACE_FEATURE_CACHE", cache.c_str(), 1);
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", off});
  unsetenv("PODTRACE_FEATURE_CACHE");
  tracer.wait_for_start();
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
  return tracer.report()["kernel"]["features"];
}

std::optional<nlohmann::json> feature(const nlohmann::json& features, const std::string& name) {
  for (const auto& f : features)
    if (f["attach"] == name) return f;
  return std::nullopt;
}

TEST_F(FeatureCacheTest, TheTracerUsesASoundCacheAndIgnoresALooseOne) {
  TestCgroup target("pt-feature-cache");
  Workload sleeper(target, [] {
    pause();
    return 0;
  });
  plant(planted());
  auto used = feature(tracer_kernel_features(file, target), "tp_btf");
  ASSERT_TRUE(used);
  EXPECT_EQ((*used)["works"], false);
  EXPECT_EQ((*used)["reason"], "planted by the cache test");

  plant(planted());
  chmod(file.c_str(), 0666);
  auto ignored = feature(tracer_kernel_features(file, target), "tp_btf");
  ASSERT_TRUE(ignored);
  EXPECT_EQ((*ignored)["works"], true);
  auto rewritten = read_feature_cache(file, key);
  ASSERT_TRUE(rewritten);
  EXPECT_TRUE(same(*rewritten, truth()));
}

}  // namespace
}  // namespace podtrace::tracer::testing
