// SPDX-License-Identifier: Apache-2.0
// metrics_test.cpp: the tracer's /metrics endpoint, as Prometheus and an attacker see it: exact
// counts from the first scrape on, labelled with the pod, promtool-clean, scraped and queried
// by a real Prometheus server; loopback by default, rate-limited, bounded requests, security
// headers, and slow clients (slowloris) that cannot stop other scrapes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "kernel_test_util.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Ports from our pid, so parallel runs of different test binaries do not clash.
int port_for(int offset) { return 20000 + (getpid() * 7 + offset) % 20000; }

ProcessResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-s", "--max-time", "5"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

// A target cgroup kept populated, and a tracer on it serving /metrics.
struct MetricsFixture {
  explicit MetricsFixture(const std::string& name, std::vector<std::string> extra = {})
      : target(name), keeper(target, [] { return 0; }) {
    port = port_for(static_cast<int>(name.size()));
    addr = "127.0.0.1:" + std::to_string(port);
    // Only file I/O is asserted on: the other families would only slow the start down.
    std::vector<std::string> args = {"--cgroup",       target.v2().string(),
                                     "--metrics-addr", ":" + std::to_string(port),
                                     "--disable",      "cpu",
                                     "--disable",      "process",
                                     "--disable",      "tcp",
                                     "--disable",      "dns",
                                     "--disable",      "udp"};
    args.insert(args.end(), extra.begin(), extra.end());
    tracer = std::make_unique<TracerProcess>(args);
    tracer->wait_for_start();
  }
  std::string url(const std::string& path = "/metrics") const { return "http://" + addr + path; }

  TestCgroup target;
  Workload keeper;  // never released: the cgroup stays populated, so the trace goes on
  int port = 0;
  std::string addr;
  std::unique_ptr<TracerProcess> tracer;
};

TEST(MetricsTest, ExactCountsLabelledWithThePodAndCleanForPromtool) {
  const fs::path dir = make_temp_dir("podtrace-metrics");
  MetricsFixture f("pt-metrics-exact", {"--interval", "60s", "--k8s-namespace", "shop", "--k8s-pod",
                                        "web-1", "--k8s-container", "app"});
  // Before anything happened, and long before the first summary (60 s): every family is there.
  auto first = curl({"-f", f.url()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("# HELP podtrace_fileio_latency_seconds "), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find(
                "podtrace_lost_events_total{namespace=\"shop\",pod=\"web-1\",container=\"app\","
                "reason=\"ringbuf\"} 0\n"),
            std::string::npos)
      << first.out;

  Workload traced(f.target, [&] {
    int fd = open((dir / "m.dat").c_str(), O_CREAT | O_WRONLY, 0600);
    for (int i = 0; i < 20; ++i)
      if (fsync(fd) != 0) return 10;
    return 0;
  });
  traced.go();
  ASSERT_EQ(traced.wait(), 0);
  // Fresh within a second of the work, whatever the summary interval.
  const std::string want =
      "podtrace_fileio_latency_seconds_count{namespace=\"shop\",pod=\"web-1\",container=\"app\","
      "op=\"fsync\"} 20\n";
  std::string body;
  for (int i = 0; i < 30 && body.find(want) == std::string::npos; i++) {
    std::this_thread::sleep_for(100ms);
    body = curl({"-f", f.url()}).out;
  }
  EXPECT_NE(body.find(want), std::string::npos) << body;

  const fs::path scraped = dir / "scrape.prom";
  std::ofstream(scraped) << body;
  auto check = run_command({"sh", "-c", "promtool check metrics < " + scraped.string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out + check.err, "") << "promtool found problems";
  f.tracer->stop();
  fs::remove_all(dir);
}

TEST(MetricsTest, ARealPrometheusScrapesAndQueriesTheSeries) {
  const fs::path dir = make_temp_dir("podtrace-prometheus");
  MetricsFixture f("pt-metrics-prom", {"--k8s-namespace", "shop", "--k8s-pod", "web-1"});
  Workload traced(f.target, [&] {
    int fd = open((dir / "p.dat").c_str(), O_CREAT | O_WRONLY, 0600);
    for (int i = 0; i < 7; ++i)
      if (fsync(fd) != 0) return 10;
    return 0;
  });
  traced.go();
  ASSERT_EQ(traced.wait(), 0);

  const int prom_port = port_for(977);
  std::ofstream(dir / "prometheus.yml") << "global: {scrape_interval: 1s}\n"
                                           "scrape_configs:\n"
                                           "- job_name: podtrace\n"
                                           "  static_configs: [{targets: ['"
                                        << f.addr << "']}]\n";
  pid_t prom = fork();
  if (prom == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    const std::string config = "--config.file=" + (dir / "prometheus.yml").string();
    const std::string storage = "--storage.tsdb.path=" + (dir / "data").string();
    const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(prom_port);
    execlp("prometheus", "prometheus", config.c_str(), storage.c_str(), listen.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(prom, 0);
  const std::string query =
      "http://127.0.0.1:" + std::to_string(prom_port) +
      "/api/v1/query?query=podtrace_fileio_latency_seconds_count%7Bop%3D%22fsync%22%2Cpod%3D%22"
      "web-1%22%7D";
  std::string value;
  for (int i = 0; i < 150 && value != "7"; i++) {
    std::this_thread::sleep_for(100ms);
    auto r = curl({query});
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    if (doc.is_discarded() || doc["data"]["result"].empty()) continue;
    value = doc["data"]["result"][0]["value"][1].get<std::string>();
    EXPECT_EQ(doc["data"]["result"][0]["metric"]["namespace"], "shop");
    EXPECT_EQ(doc["data"]["result"][0]["metric"]["job"], "podtrace");
  }
  EXPECT_EQ(value, "7") << "Prometheus never returned the series";
  kill(prom, SIGTERM);
  waitpid(prom, nullptr, 0);
  f.tracer->stop();
  fs::remove_all(dir);
}

// One tracer for the endpoint's defences, in an order where each leaves the next intact: the
// rate limit, which drains the bucket, comes last.
TEST(MetricsTest, EndpointDefences) {
  MetricsFixture f("pt-metrics-defences");

  // ":PORT" binds loopback only.
  auto listening = run_command({"ss", "-Hltn", "sport = :" + std::to_string(f.port)});
  EXPECT_NE(listening.out.find("127.0.0.1:" + std::to_string(f.port)), std::string::npos)
      << listening.out;
  EXPECT_EQ(listening.out.find(" 0.0.0.0:" + std::to_string(f.port)), std::string::npos)
      << listening.out;

  auto head = curl({"-D", "-", "-o", "/dev/null", f.url()});
  for (const char* h :
       {"X-Content-Type-Options: nosniff", "X-Frame-Options: DENY", "Cache-Control: no-store",
        "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
        "Referrer-Policy: no-referrer"})
    EXPECT_NE(head.out.find(h), std::string::npos) << h << "\n" << head.out;

  auto status = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"-o", "/dev/null", "-w", "%{http_code}"};
    all.insert(all.end(), args.begin(), args.end());
    return curl(all).out;
  };
  EXPECT_EQ(status({f.url("/other")}), "404");
  EXPECT_EQ(status({f.url("/metrics?" + std::string(2000, 'a'))}), "414");
  EXPECT_EQ(status({"--data-binary", std::string(4096, 'x'), f.url()}), "413");
  // A 404 carries the headers too.
  auto missing = curl({"-D", "-", "-o", "/dev/null", f.url("/other")});
  EXPECT_NE(missing.out.find("X-Content-Type-Options: nosniff"), std::string::npos);

  // A slow client cannot stop other scrapes.

  // Slowloris: 16 connections (four times the worker threads) that trickle their request
  // headers a byte at a time, each reopened as soon as the server closes it.
  constexpr int kSlow = 16;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(f.port));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  auto open_slow = [&] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
  };
  std::atomic<bool> done{false};
  std::atomic<int> closed_by_server{0};
  std::vector<int> slow(kSlow);
  std::vector<bool> cut(kSlow, false);
  for (auto& fd : slow) fd = open_slow();
  std::thread trickle([&] {
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for (size_t i = 0; !done; i++) {
      for (int c = 0; c < kSlow; c++) {
        char byte;
        // The server closed it (EOF, reset or a refused write): count it and open another.
        const ssize_t r = recv(slow[c], &byte, 1, 0);
        bool gone = r == 0 || (r < 0 && errno != EAGAIN);
        if (!gone) gone = send(slow[c], &request[i % request.size()], 1, MSG_NOSIGNAL) < 0;
        if (gone) {
          close(slow[c]);
          slow[c] = open_slow();
          if (!cut[c]) closed_by_server++;
          cut[c] = true;
        }
      }
      std::this_thread::sleep_for(300ms);
    }
  });
  // Meanwhile, scrapes one after the other are all served, each quickly, until the server has
  // cut every trickling connection at its header deadline.
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 8 || (closed_by_server < kSlow && i < 60); i++) {
    const auto start = std::chrono::steady_clock::now();
    auto r = curl({"-f", "-o", "/dev/null", f.url()});
    EXPECT_EQ(r.exit_code, 0) << "scrape " << i << " failed: " << r.err;
    // A scrape stuck behind a trickling connection waits out its 2 s header deadline; a free
    // one takes a curl start and one answer (up to 1.03 s measured on the loaded 2-CPU host).
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << "scrape " << i << " waited";
    std::this_thread::sleep_for(150ms);
  }
  EXPECT_EQ(closed_by_server, kSlow) << "trickling connections the server never closed";
  done = true;
  trickle.join();
  for (int fd : slow) close(fd);

  // Rate limited beyond a burst.

  // 40 requests at once: the first 20 (the burst) are served, most of the rest get 429, each
  // saying when to retry. The Retry-After header comes from the same curl run (%header, curl
  // 7.84): a request of its own afterwards could find the bucket refilled on a slow machine,
  // where starting curl takes longer than the 100 ms that refill one token (a VM under TCG).
  const std::string format = "%{http_code} %header{retry-after}\\n";
  std::vector<std::string> args = {"-w", format};
  for (int i = 0; i < 40; i++) {
    args.push_back("-o");
    args.push_back("/dev/null");
    args.push_back(f.url());
  }
  const auto start = std::chrono::steady_clock::now();
  std::istringstream codes(curl(args).out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::string> seen, retry_after;
  for (std::string code, after; codes >> code && std::getline(codes, after);) {
    seen.push_back(code);
    retry_after.push_back(after.empty() ? "" : after.substr(1));
  }
  ASSERT_EQ(seen.size(), 40u);
  size_t ok = 0;
  for (size_t i = 0; i < seen.size(); i++) {
    if (i < 20) {
      EXPECT_EQ(seen[i], "200") << "request " << i << " is within the burst";
    }
    ok += seen[i] == "200";
    if (seen[i] != "200") {
      EXPECT_EQ(seen[i], "429");
      EXPECT_EQ(retry_after[i], "1") << "request " << i;
    }
  }
  // The bucket refills at 10/s: at most that many more than the burst were served.
  EXPECT_LE(ok, 20 + static_cast<size_t>(10 * seconds) + 1) << seconds << " s";
  EXPECT_LT(ok, 40u) << "nothing was limited in " << seconds << " s";
  f.tracer->stop();
}

}  // namespace
}  // namespace podtrace::tracer::testing
