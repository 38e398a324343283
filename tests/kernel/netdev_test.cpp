// SPDX-License-Identifier: Apache-2.0
// netdev_test.cpp: device transmit errors from real frames a veth's driver refuses, counted
// exactly for the pod (by its sockets' cgroup) and node-wide, with the same frames from another
// cgroup kept out of the pod's rows.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "in_process_trace.h"
#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

constexpr size_t kFrame = 1400;

// A private network namespace holding a veth pair whose receiving end has a smaller MTU than
// the sending end: veth_xmit() cannot forward a frame longer than the peer's MTU and returns
// NET_XMIT_DROP (rc 1), which net_dev_xmit reports. (A peer that is merely down does not work:
// the sender loses its carrier, its qdisc becomes noop, and frames never reach the driver.)
// Only the oversized frames the tests send fail, so the counts are exact. Removed with the
// namespace on destruction.
class OversizeVeth {
 public:
  OversizeVeth() {
    const std::string tag = std::to_string(getpid());
    ns_ = "ptnd-" + tag;
    tx_ = "ptxa" + tag;
    const std::string rx = "ptxb" + tag;
    must({"ip", "netns", "add", ns_});
    try {
      must({"ip", "-n", ns_, "link", "add", tx_, "type", "veth", "peer", "name", rx});
      must({"ip", "-n", ns_, "link", "set", rx, "mtu", "1280"});
      must({"ip", "-n", ns_, "link", "set", tx_, "up"});
      must({"ip", "-n", ns_, "link", "set", rx, "up"});
    } catch (...) {
      run_command({"ip", "netns", "del", ns_});
      throw;
    }
    struct stat st {};
    if (stat(("/run/netns/" + ns_).c_str(), &st) != 0) throw std::runtime_error("netns inode");
    netns_inode_ = st.st_ino;
  }
  ~OversizeVeth() { run_command({"ip", "netns", "del", ns_}); }
  OversizeVeth(const OversizeVeth&) = delete;
  OversizeVeth& operator=(const OversizeVeth&) = delete;

  const std::string& device() const { return tx_; }
  uint64_t netns_inode() const { return netns_inode_; }
  int ifindex() const {
    // "7: ptxa123@ptxb123: <...": the index is the first field of `ip -o link show`.
    auto r = run_command({"ip", "-n", ns_, "-o", "link", "show", tx_});
    return r.exit_code == 0 ? std::stoi(r.out) : -1;
  }

  // Runs in a forked workload: joins the namespace, then sends n oversized frames out of the
  // sending end. Returns 0 when every send failed with ENOBUFS (the driver's NET_XMIT_DROP).
  int send_oversized(int n) const {
    int nsfd = open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) return 20;
    close(nsfd);
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return 21;
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(0x88b5);  // IEEE local experimental ethertype
    addr.sll_ifindex = static_cast<int>(if_nametoindex(tx_.c_str()));
    if (addr.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      return 22;
    unsigned char frame[kFrame];
    std::memset(frame, 'x', sizeof(frame));
    std::memset(frame, 0xff, 6);                            // broadcast
    const unsigned char src[6] = {0x02, 0, 0, 0, 0, 0x01};  // locally administered
    std::memcpy(frame + 6, src, 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;
    for (int i = 0; i < n; ++i)
      if (send(fd, frame, sizeof(frame), 0) != -1 || errno != ENOBUFS) return 23;
    close(fd);
    return 0;
  }

 private:
  static void must(const std::vector<std::string>& argv) {
    auto r = run_command(argv);
    if (r.exit_code != 0) throw std::runtime_error(argv[0] + " failed: " + r.err);
  }

  std::string ns_, tx_;
  uint64_t netns_inode_ = 0;
};

TEST(NetdevTest, CountsThePodsRefusedFramesExactlyAndNodeWide) {
  constexpr int kMine = 25, kTheirs = 17;
  OversizeVeth veth;
  TestCgroup target("pt-netdev-target"), other("pt-netdev-other");
  Workload traced(target, [&] { return veth.send_oversized(kMine); });
  Workload untraced(other, [&] { return veth.send_oversized(kTheirs); });
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", "fileio"});
  ASSERT_EQ(run_under_tracer(tracer, {&traced, &untraced}), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  const auto report = tracer.report();
  const auto netdev = report["netdev"];
  const nlohmann::json device = {
      {"device", veth.device()}, {"ifindex", veth.ifindex()}, {"netns", veth.netns_inode()}};
  // The pod's rows: exactly its own frames, under its own cgroup; the other cgroup's are not
  // the pod's.
  uint64_t pod_packets = 0;
  for (const auto& x : netdev["target"]) {
    if (x["device"] != veth.device()) continue;
    EXPECT_EQ(x["cgroup"], target.v2().string()) << netdev.dump();
    pod_packets += x["packets"].get<uint64_t>();
  }
  EXPECT_EQ(pod_packets, uint64_t{kMine});
  nlohmann::json mine = device;
  mine["cgroup"] = target.v2().string();
  mine["rc"] = 1;
  mine["result"] = "NET_XMIT_DROP";
  auto row = find_entry(netdev["target"], mine);
  ASSERT_TRUE(row) << netdev.dump();
  EXPECT_EQ((*row)["packets"], kMine);
  EXPECT_EQ((*row)["bytes"], kMine * kFrame);
  EXPECT_FALSE(find_entry(netdev["target"], {{"cgroup", other.v2().string()}}));

  // Node-wide: every refused frame on that device, the other cgroup's too.
  auto node = find_entry(netdev["node_wide"], device);
  ASSERT_TRUE(node) << netdev.dump();
  EXPECT_EQ((*node)["packets"], kMine + kTheirs);
  EXPECT_EQ((*node)["bytes"], (kMine + kTheirs) * kFrame);
  EXPECT_FALSE(node->contains("cgroup"));

  EXPECT_TRUE(find_entry(report["findings"],
                         {{"family", "netdev"},
                          {"title", std::to_string(kMine) +
                                        " of the pod's packets were refused by " + veth.device()}}))
      << report["findings"].dump();
}

// Each attach type the family can fall back to, offered alone: the same exact counts and the
// same device (the classic tracepoint rung reads ifindex and netns at net_dev_start_xmit).
class NetdevFallbackTest : public ::testing::TestWithParam<std::pair<AttachType, std::string>> {};

TEST_P(NetdevFallbackTest, CountsExactlyOnEachAttachType) {
  const auto& [type, name] = GetParam();
  constexpr int kMine = 11, kTheirs = 7;
  OversizeVeth veth;
  TestCgroup target("pt-netdevfb-target"), other("pt-netdevfb-other");
  Workload traced(target, [&] { return veth.send_oversized(kMine); });
  Workload untraced(other, [&] { return veth.send_oversized(kTheirs); });
  int untraced_status = -1;
  const auto trace = trace_with_only(type, target.v2().string(), {"fileio"}, [&] {
    untraced.go();
    untraced_status = untraced.wait();
    traced.go();
  });
  ASSERT_EQ(traced.wait(), 0);
  ASSERT_EQ(untraced_status, 0);
  ASSERT_EQ(trace.exit_code, 0);
  EXPECT_EQ(trace.diagnostic("netdev")["enabled"], true) << trace.diagnostic("netdev").dump();
  EXPECT_EQ(trace.diagnostic("netdev")["attach"], name);

  const nlohmann::json device = {
      {"device", veth.device()}, {"ifindex", veth.ifindex()}, {"netns", veth.netns_inode()}};
  const auto netdev = trace.report()["netdev"];
  nlohmann::json mine = device;
  mine["cgroup"] = target.v2().string();
  auto row = find_entry(netdev["target"], mine);
  ASSERT_TRUE(row) << netdev.dump();
  EXPECT_EQ((*row)["packets"], kMine);
  EXPECT_FALSE(find_entry(netdev["target"], {{"cgroup", other.v2().string()}}));
  auto node = find_entry(netdev["node_wide"], device);
  ASSERT_TRUE(node) << netdev.dump();
  EXPECT_EQ((*node)["packets"], kMine + kTheirs);
}

INSTANTIATE_TEST_SUITE_P(
    Tracer, NetdevFallbackTest,
    ::testing::Values(std::pair{AttachType::kTpBtf, std::string("tp_btf")},
                      std::pair{AttachType::kRawTp, std::string("raw_tracepoint")},
                      std::pair{AttachType::kTracepoint, std::string("tracepoint")}));

}  // namespace
}  // namespace podtrace::tracer::testing
