// SPDX-License-Identifier: Apache-2.0
// db_test.cpp: database queries through the real client libraries against the test's own
// PostgreSQL 15 and MariaDB (Debian's, on loopback, each with its own data directory and port).
// Python's psycopg2 (libpq PQexec) and MySQLdb (libmariadb mysql_real_query), and a C client for
// libpq's asynchronous and prepared calls and MariaDB's send/read and prepared statements, run a
// known script in the target cgroup and, identically, in another cgroup that must not show. The
// clients map their libraries only after the tracer started, so the tracer finds them by
// re-reading /proc/PID/maps.
#include "db.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "accuracy_util.h"
#include "elf_functions.h"
#include "family_args.h"
#include "kernel_test_util.h"
#include "net_fixtures.h"

namespace podtrace::tracer::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string(name) + " is not set");
  return v;
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free port");
  close(fd);
  return ntohs(a.sin_port);
}

void must(const std::vector<std::string>& argv) {
  auto r = run_command(argv);
  if (r.exit_code != 0)
    throw std::runtime_error(argv[0] + " failed (" + std::to_string(r.exit_code) + "): " + r.err +
                             r.out);
}

// Runs `argv` in the background as `user` (root when empty), output to `log`.
pid_t spawn_as(const std::string& user, const std::vector<std::string>& argv, const fs::path& log) {
  const passwd* pw = user.empty() ? nullptr : getpwnam(user.c_str());
  if (!user.empty() && !pw) throw std::runtime_error("no user " + user);
  const uid_t uid = pw ? pw->pw_uid : 0;
  const gid_t gid = pw ? pw->pw_gid : 0;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    if (pw && (setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void chown_to(const fs::path& p, const std::string& user) {
  const passwd* pw = getpwnam(user.c_str());
  if (!pw || chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("cannot chown " + p.string() + " to " + user);
}

// Polls `ready` every 20 ms for up to 15 s.
void wait_ready(const std::function<bool()>& ready, const std::string& what, const fs::path& log) {
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    if (ready()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  throw std::runtime_error(what + " did not start: " + text.str());
}

fs::path postgres_bin() {
  fs::path best;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql"))
    if (fs::exists(e.path() / "bin" / "postgres") && e.path() > best) best = e.path();
  if (best.empty()) throw std::runtime_error("no PostgreSQL server in /usr/lib/postgresql");
  return best / "bin";
}

// PostgreSQL and MariaDB for the whole suite: started once, each in its own temporary data
// directory on its own loopback port, tuned to start fast (no fsync, small buffers).
struct Servers {
  fs::path dir;
  int pg_port = 0;
  int my_port = 0;
  pid_t pg = -1;
  pid_t my = -1;

  Servers() {
    dir = make_temp_dir("podtrace-db");
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    start_postgres();
    start_mariadb();
  }

  ~Servers() {
    // Immediate shutdown (SIGQUIT): the data directory is thrown away.
    if (pg > 0) kill(pg, SIGQUIT), waitpid(pg, nullptr, 0);
    if (my > 0) kill(my, SIGKILL), waitpid(my, nullptr, 0);
    fs::remove_all(dir);
  }

  void start_postgres() {
    const auto t0 = Clock::now();
    const fs::path pgdir = dir / "pg";
    fs::create_directory(pgdir);
    chown_to(pgdir, "postgres");
    const fs::path bin = postgres_bin();
    // initdb refuses root: it runs as the postgres user, without fsync.
    must({"runuser", "-u", "postgres", "--", (bin / "initdb").string(), "-D",
          (pgdir / "data").string(), "-A", "trust", "-U", "podtrace", "--no-sync", "-E", "UTF8",
          "--locale=C"});
    pg_port = free_port();
    pg =
        spawn_as("postgres",
                 {(bin / "postgres").string(), "-D", (pgdir / "data").string(), "-p",
                  std::to_string(pg_port), "-k", pgdir.string(), "-c", "listen_addresses=127.0.0.1",
                  "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                  "-c", "shared_buffers=16MB", "-c", "max_connections=20"},
                 pgdir / "log");
    const std::string port = std::to_string(pg_port);
    wait_ready(
        [&] {
          return run_command({"pg_isready", "-q", "-h", "127.0.0.1", "-p", port}).exit_code == 0;
        },
        "postgres", pgdir / "log");
    must({"psql", "-q", "-h", "127.0.0.1", "-p", port, "-U", "podtrace", "-d", "postgres", "-c",
          "CREATE TABLE items (id int, name text)"});
    std::printf("[db] PostgreSQL ready in %.2f s\n",
                std::chrono::duration<double>(Clock::now() - t0).count());
  }

  void start_mariadb() {
    const auto t0 = Clock::now();
    const fs::path mydir = dir / "my";
    fs::create_directories(mydir / "data");
    chown_to(mydir, "mysql");
    chown_to(mydir / "data", "mysql");
    my_port = free_port();
    // No mariadb-install-db: with --skip-grant-tables an empty data directory serves at once.
    // Small InnoDB files and no binlog keep start-up under a second.
    my = spawn_as(
        "",
        {"/usr/sbin/mariadbd", "--no-defaults", "--user=mysql",
         "--datadir=" + (mydir / "data").string(), "--socket=" + (mydir / "sock").string(),
         "--port=" + std::to_string(my_port), "--bind-address=127.0.0.1", "--skip-grant-tables",
         "--skip-log-bin", "--innodb-buffer-pool-size=8M", "--innodb-log-file-size=4M",
         "--innodb-data-file-path=ibdata1:1M:autoextend",
         "--innodb-temp-data-file-path=ibtmp1:1M:autoextend", "--innodb-flush-log-at-trx-commit=0",
         "--skip-name-resolve", "--pid-file=" + (mydir / "pid").string()},
        mydir / "log");
    const std::string port = std::to_string(my_port);
    wait_ready(
        [&] {
          return run_command({"mariadb-admin", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1",
                              "-P", port, "-u", "root", "ping"})
                     .exit_code == 0;
        },
        "mariadbd", mydir / "log");
    must({"mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1", "-P", port, "-u", "root",
          "-e", "CREATE DATABASE pt; CREATE TABLE pt.items (id INT, name VARCHAR(20))"});
    std::printf("[db] MariaDB ready in %.2f s\n",
                std::chrono::duration<double>(Clock::now() - t0).count());
  }
};

class DbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { servers_ = new Servers(); }
  static void TearDownTestSuite() {
    delete servers_;
    servers_ = nullptr;
  }
  std::string pg_port() const { return std::to_string(servers_->pg_port); }
  std::string my_port() const { return std::to_string(servers_->my_port); }
  // The C client's asynchronous and prepared calls, traced with `extra` tracer arguments.
  void expect_c_client_calls(const std::vector<std::string>& extra, bool in_task);
  static Servers* servers_;
};

Servers* DbTest::servers_ = nullptr;

// Every family but db: the test reads one section, and starts faster.
// A client process in `cgroup` that execs `argv` once released, with stdin from a pipe the test
// writes "go" to when the tracer has probed its libraries.
struct Client {
  int in[2] = {-1, -1};
  std::unique_ptr<Workload> work;

  Client(const TestCgroup& cgroup, std::vector<std::string> argv) {
    if (pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const int rd = in[0];
    work = std::make_unique<Workload>(cgroup, [rd, argv] {
      dup2(rd, 0);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      return 127;
    });
    close(in[0]);
  }
  ~Client() {
    if (in[1] >= 0) close(in[1]);
  }
  // Lets the client go on past "ready"; `keep_stdin`: a `hold` client runs until end_stdin().
  void proceed(bool keep_stdin = false) {
    if (write(in[1], "go\n", 3) != 3) throw std::runtime_error("cannot release client");
    if (!keep_stdin) end_stdin();
  }
  void send_line(const std::string& line) {
    if (write(in[1], line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      throw std::runtime_error("cannot write to client");
  }
  void end_stdin() {
    if (in[1] >= 0) close(in[1]);
    in[1] = -1;
  }
};

bool maps_mention(pid_t pid, const std::string& what) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream text;
  text << in.rdbuf();
  return text.str().find(what) != std::string::npos;
}

// Reads the tracer's lines until it announced a probe on each of `libraries`.
void wait_attached(TracerProcess& tracer, std::set<std::string> libraries, pid_t pid) {
  while (!libraries.empty()) {
    const auto line = tracer.wait_for_event("db", "attached");
    EXPECT_EQ(line["pid"], pid) << line.dump();
    libraries.erase(line["library"].get<std::string>());
  }
}

// Runs both clients under a db-only tracer; returns the tracer (stopped) and the exit statuses.
std::vector<int> run_clients(TracerProcess& tracer, Client& traced, Client& untraced) {
  tracer.wait_for_start();
  // Not exec'd yet: no client library is mapped, so only a re-read of the maps can find them.
  EXPECT_FALSE(maps_mention(traced.work->pid(), "libpq"));
  EXPECT_FALSE(maps_mention(traced.work->pid(), "libmariadb"));
  traced.work->go();
  untraced.work->go();
  wait_attached(tracer, {"libpq", "libmariadb"}, traced.work->pid());
  traced.proceed();
  untraced.proceed();
  std::vector<int> statuses = {traced.work->wait(), untraced.work->wait()};
  tracer.stop();
  return statuses;
}

std::optional<nlohmann::json> statement(const nlohmann::json& report, const std::string& system,
                                        const std::string& op, const std::string& text) {
  return find_entry(report["db"]["statements"],
                    {{"system", system}, {"op", op}, {"statement", text}});
}

// The statement's count, errors and error codes, exactly.
void expect_statement(const nlohmann::json& report, const std::string& system,
                      const std::string& op, const std::string& text, uint64_t count,
                      const nlohmann::json& error_codes = nlohmann::json::array()) {
  auto s = statement(report, system, op, text);
  ASSERT_TRUE(s) << system << " " << op << " \"" << text << "\" missing from "
                 << report["db"]["statements"].dump();
  EXPECT_EQ((*s)["count"], count) << text;
  EXPECT_EQ((*s)["latency"]["count"], count) << text;
  uint64_t errors = 0;
  for (const auto& e : error_codes) errors += e["count"].get<uint64_t>();
  EXPECT_EQ((*s)["errors"], errors) << text;
  EXPECT_EQ((*s)["error_codes"], error_codes) << text;
}

uint64_t system_queries(const nlohmann::json& report, const std::string& system,
                        const char* field) {
  auto s = find_entry(report["db"]["systems"], {{"system", system}});
  return s ? (*s)[field].get<uint64_t>() : 0;
}

nlohmann::json codes(const std::string& error) { return {{{"error", error}, {"count", 1}}}; }

// The tgids of the entries of db's `pending` map (queries sent, not yet answered) in the tracer
// process `tracer`.
// The processes that the entries of one of the tracer's db maps belong to: every key of
// `pending`, `pg_prepared` and `mysql_prepared` starts with the tgid.
std::multiset<uint32_t> entry_tgids(pid_t tracer, const std::string& map) {
  std::multiset<uint32_t> tgids;
  for (const auto& key : bpf_map_keys(tracer, map)) {
    EXPECT_GE(key.size(), sizeof(uint32_t));
    uint32_t tgid = 0;
    std::memcpy(&tgid, key.data(), std::min(key.size(), sizeof(tgid)));
    tgids.insert(tgid);
  }
  return tgids;
}

// Waits up to `seconds` for `want` (a sweep runs at most once a second).
bool entries_become(pid_t tracer, const std::string& map, const std::multiset<uint32_t>& want,
                    int seconds) {
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (entry_tgids(tracer, map) != want) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Queries sent and never answered, and prepared statement texts, stay in maps without
// eviction: the tracer deletes the entries of processes that exited, and only theirs;
// mysql_stmt_close() deletes its statement's; a libpq connection's close (PQfinish) or reset
// (PQreset, the same PGconn) ends the statements prepared on it before, not those of the
// process's other connection, nor one prepared on the reset connection since.
TEST_F(DbTest, QueriesAndStatementsEndWithTheirConnectionOrProcess) {
  TestCgroup target("pt-db-hold");
  const std::vector<std::string> argv = {env("PODTRACE_DB_CLIENT"), "hold", pg_port(), my_port()};
  Client ends(target, argv), closes(target, argv);
  TracerProcess tracer(
      {"--cgroup", target.v2().string(), "--disable", families_except("db"), "--duration", "60s"});
  tracer.wait_for_start();
  ends.work->go();
  closes.work->go();
  // The uprobes are on the library files: one announcement each covers both clients.
  std::set<std::string> attached;
  while (attached.size() < 2)
    attached.insert(tracer.wait_for_event("db", "attached")["library"].get<std::string>());
  ends.proceed(true);
  closes.proceed(true);
  const auto e = static_cast<uint32_t>(ends.work->pid());
  const auto c = static_cast<uint32_t>(closes.work->pid());
  auto now = [&](const std::string& map) {
    return map + ": " + std::to_string(entry_tgids(tracer.pid(), map).size());
  };
  // Each: one PostgreSQL and one MariaDB query in flight, four libpq statements (two on the
  // connection it closes, one on the one it resets, one on the other) and two MariaDB ones.
  ASSERT_TRUE(entries_become(tracer.pid(), "pending", {e, e, c, c}, 10)) << now("pending");
  EXPECT_TRUE(entries_become(tracer.pid(), "pg_prepared", {e, e, e, e, c, c, c, c}, 5))
      << now("pg_prepared");
  EXPECT_TRUE(entries_become(tracer.pid(), "mysql_prepared", {e, e, c, c}, 5))
      << now("mysql_prepared");
  ends.end_stdin();
  EXPECT_EQ(ends.work->wait(), 0);
  EXPECT_TRUE(entries_become(tracer.pid(), "pending", {c, c}, 5)) << now("pending");
  EXPECT_TRUE(entries_become(tracer.pid(), "pg_prepared", {c, c, c, c}, 5)) << now("pg_prepared");
  EXPECT_TRUE(entries_become(tracer.pid(), "mysql_prepared", {c, c}, 5)) << now("mysql_prepared");
  // The live process's entries stay through more sweeps...
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(entry_tgids(tracer.pid(), "pending"), std::multiset<uint32_t>({c, c}));
  EXPECT_EQ(entry_tgids(tracer.pid(), "pg_prepared"), std::multiset<uint32_t>({c, c, c, c}));
  EXPECT_EQ(entry_tgids(tracer.pid(), "mysql_prepared"), std::multiset<uint32_t>({c, c}));
  // ...until mysql_stmt_close(), PQfinish(), mysql_close() and PQreset() end them, the process
  // still running; the other connection's statement and the one prepared after the reset stay.
  closes.send_line("close\n");
  EXPECT_TRUE(entries_become(tracer.pid(), "pending", {}, 5)) << now("pending");
  EXPECT_TRUE(entries_become(tracer.pid(), "mysql_prepared", {}, 5)) << now("mysql_prepared");
  EXPECT_TRUE(entries_become(tracer.pid(), "pg_prepared", {c, c}, 5)) << now("pg_prepared");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(entry_tgids(tracer.pid(), "pg_prepared"), std::multiset<uint32_t>({c, c}));
  EXPECT_EQ(kill(closes.work->pid(), 0), 0);
  closes.end_stdin();
  EXPECT_EQ(closes.work->wait(), 0);
  EXPECT_TRUE(entries_become(tracer.pid(), "pg_prepared", {}, 5)) << now("pg_prepared");
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
  EXPECT_EQ(tracer.report()["lost_events"]["map_full"], 0) << tracer.report().dump();
}

// Ends no probe sees (SQL's DEALLOCATE, libpq 17's PQclosePrepared) would fill the statement
// maps, which have no eviction of their own: past 90% full, the sweep deletes the least recently
// used texts down to 75%, and the stream and the report say so. 15 000 statements prepared in order
// on one connection: what stays is the newest ones, a contiguous run ending with the last, and none
// was refused.
TEST_F(DbTest, StatementTextsPastTheBoundKeepTheMostRecentlyUsed) {
  TestCgroup target("pt-db-many");
  Client many(target, {env("PODTRACE_DB_CLIENT"), "many", pg_port(), my_port()});
  TracerProcess tracer(
      {"--cgroup", target.v2().string(), "--disable", families_except("db"), "--duration", "90s"});
  tracer.wait_for_start();
  many.work->go();
  std::set<std::string> attached;
  while (attached.size() < 2)
    attached.insert(tracer.wait_for_event("db", "attached")["library"].get<std::string>());
  many.proceed(true);
  constexpr int kStatements = 15000;
  auto kept_indices = [&] {
    std::set<int> indices;
    for (const auto& key : bpf_map_keys(tracer.pid(), "pg_prepared")) {
      db_prepared_key k{};
      std::memcpy(&k, key.data(), std::min(key.size(), sizeof(k)));
      const std::string name(k.name, strnlen(k.name, sizeof(k.name)));
      if (name.rfind("pt_many_", 0) == 0) indices.insert(std::stoi(name.substr(8)));
    }
    return indices;
  };
  // The sweep announces an eviction once its deletes are done: it kept exactly the bound.
  const auto evicted = tracer.wait_for_event("db", "texts_evicted");
  EXPECT_EQ(evicted["system"], "postgresql") << evicted.dump();
  EXPECT_EQ(evicted["kept"], DB_TEXTS_KEPT_AFTER_EVICTION) << evicted.dump();
  const int evicted_count = evicted["evicted"].get<int>();
  EXPECT_GT(evicted_count, DB_TEXTS_EVICT_ABOVE - DB_TEXTS_KEPT_AFTER_EVICTION);
  // The texts prepared after that sweep's walk are added to the newest.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::set<int> kept = kept_indices();
  while (!kept.count(kStatements - 1)) {
    ASSERT_LT(Clock::now(), deadline) << kept.size() << " texts kept";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kept = kept_indices();
  }
  EXPECT_EQ(kept.size(), static_cast<size_t>(kStatements - evicted_count));
  EXPECT_EQ(*kept.begin(), evicted_count)
      << "not the most recent: " << *kept.begin() << ".." << *kept.rbegin();
  many.end_stdin();
  EXPECT_EQ(many.work->wait(), 0);
  EXPECT_EQ(tracer.stop(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  EXPECT_EQ(report["lost_events"]["map_full"], 0) << report.dump();
  const std::string status = report["db"]["status"].get<std::string>();
  EXPECT_NE(status.find(fmt::format("{} prepared statement texts evicted", evicted_count)),
            std::string::npos)
      << status;
}

TEST_F(DbTest, LayoutOffsetsMatchTheRunningLibraries) {
  // The C client reads PGresult and MYSQL/MYSQL_STMT at db.h's offsets and compares with what
  // the libraries' own API returns (PQresultStatus, PQresultErrorField, mysql_errno...).
  auto r = run_command({env("PODTRACE_DB_CLIENT"), "layout", pg_port(), my_port()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(DbTest, VersionedExportsResolveToTheFunctionCode) {
  // libmariadb exports each function under two versions at one address (libbpf 1.1 refuses
  // that); the offset found must hold the very bytes the loaded function starts with. In a
  // child: the test process itself must not map the libraries the other tests expect to be
  // found late.
  pid_t pid = fork();
  if (pid == 0) {
    for (auto [lib, fn] : {std::pair{"libmariadb.so.3", "mysql_real_query"},
                           std::pair{"libmariadb.so.3", "mysql_stmt_execute"},
                           std::pair{"libpq.so.5", "PQgetResult"}}) {
      void* h = dlopen(lib, RTLD_NOW);
      void* code = h ? dlsym(h, fn) : nullptr;
      Dl_info info{};
      if (!code || !dladdr(code, &info)) _exit(10);
      auto offsets = function_file_offsets(info.dli_fname, {fn});
      if (!offsets || !offsets->count(fn)) _exit(11);
      std::ifstream file(info.dli_fname, std::ios::binary);
      file.seekg(static_cast<std::streamoff>(offsets->at(fn)));
      char bytes[32];
      if (!file.read(bytes, sizeof(bytes)) || std::memcmp(bytes, code, sizeof(bytes)) != 0)
        _exit(12);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(DbTest, PythonDriversExactCountsPerStatementOnlyForTarget) {
  TestCgroup target("pt-db-py-target"), other("pt-db-py-other");
  const std::vector<std::string> argv = {"/usr/bin/python3", env("PODTRACE_DB_CLIENT_PY"),
                                         pg_port(), my_port()};
  Client traced(target, argv), untraced(other, argv);
  TracerProcess tracer({"--cgroup", target.v2().string(), "--disable", families_except("db"),
                        "--slow-threshold", "100ms", "--duration", "60s"});
  ASSERT_EQ(run_clients(tracer, traced, untraced), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  ASSERT_TRUE(report.contains("db")) << report.dump();

  for (const std::string system : {"postgresql", "mysql"}) {
    expect_statement(report, system, "query", "SELECT ?", 20);
    expect_statement(report, system, "query", "INSERT INTO items (id, name) VALUES (?, ?)", 1);
    expect_statement(report, system, "query", "SELECT id FROM items WHERE id IN (?)", 2);
  }
  expect_statement(report, "postgresql", "query", "SELECT pg_sleep(?)", 3);
  expect_statement(report, "mysql", "query", "SELECT SLEEP(?)", 3);
  expect_statement(report, "postgresql", "query", "SELEC ?", 1, codes("42601 syntax_error"));
  expect_statement(report, "postgresql", "query", "SELECT * FROM pt_missing", 1,
                   codes("42P01 undefined_table"));
  expect_statement(report, "mysql", "query", "SELEC ?", 1, codes("1064 ER_PARSE_ERROR"));
  expect_statement(report, "mysql", "query", "SELECT * FROM pt.missing", 1,
                   codes("1146 ER_NO_SUCH_TABLE"));

  // MySQLdb's connect() sends SET autocommit=0, and autocommit(True) SET autocommit=1.
  expect_statement(report, "mysql", "query", "SET autocommit=?", 2);

  // The kernel's exact totals: 28 queries each (MySQL 30 with the driver's two), 2 failed; the
  // other cgroup's identical script would have doubled them.
  EXPECT_EQ(system_queries(report, "postgresql", "queries"), 28u) << report["db"].dump();
  EXPECT_EQ(system_queries(report, "postgresql", "errors"), 2u);
  EXPECT_EQ(system_queries(report, "mysql", "queries"), 30u) << report["db"].dump();
  EXPECT_EQ(system_queries(report, "mysql", "errors"), 2u);
  EXPECT_EQ(system_queries(report, "postgresql", "not_streamed"), 0u);

  // Each sleeping statement took its 200 ms, as PQexec / mysql_real_query saw it.
  size_t sleeps = 0;
  for (const auto& e : tracer.events("db", "slow")) {
    EXPECT_EQ(e["pid"], traced.work->pid());
    if (e["statement"] != "SELECT pg_sleep(?)" && e["statement"] != "SELECT SLEEP(?)") continue;
    ++sleeps;
    EXPECT_GE(e["latency_ns"].get<uint64_t>(), 200'000'000u) << e.dump();
    EXPECT_EQ(e["function"], e["system"] == "mysql" ? "mysql_real_query" : "PQexec");
  }
  EXPECT_EQ(sleeps, 6u);
  const auto errors = tracer.events("db", "error");
  ASSERT_EQ(errors.size(), 4u);
  for (const auto& e : errors) EXPECT_EQ(e["pid"], traced.work->pid());
  EXPECT_EQ(errors[0]["text"], "SELEC 1");
  EXPECT_EQ(errors[0]["error"], "42601 syntax_error");

  bool failing = false, slow = false;
  for (const auto& f : report["findings"]) {
    if (f["family"] != "db") continue;
    if (f["title"] == "1 of 1 postgresql query failed: SELECT * FROM pt_missing") failing = true;
    if (f["title"].get<std::string>().starts_with("slow mysql query: p99 ")) slow = true;
  }
  EXPECT_TRUE(failing && slow) << report["findings"].dump();
}

void DbTest::expect_c_client_calls(const std::vector<std::string>& extra, bool in_task) {
  TestCgroup target("pt-db-c-target"), other("pt-db-c-other");
  const std::vector<std::string> argv = {env("PODTRACE_DB_CLIENT"), "run", pg_port(), my_port()};
  Client traced(target, argv), untraced(other, argv);
  std::vector<std::string> args = {
      "--cgroup", target.v2().string(), "--disable", families_except("db"), "--slow-threshold",
      "100ms",    "--duration",         "60s"};
  args.insert(args.end(), extra.begin(), extra.end());
  TracerProcess tracer(args);
  ASSERT_EQ(run_clients(tracer, traced, untraced), std::vector<int>({0, 0}));
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  ASSERT_TRUE(report.contains("db")) << report.dump();
  EXPECT_EQ(tracer.reported_feature_works("task_storage"), in_task);

  // libpq: asynchronous sends answered by PQgetResult, prepared statements by name.
  expect_statement(report, "postgresql", "query", "SELECT pg_sleep(?)", 1);
  expect_statement(report, "postgresql", "query", "SELECT $1::int + ?", 5);
  expect_statement(report, "postgresql", "prepare", "SELECT $1::text || ?", 1);
  expect_statement(report, "postgresql", "execute", "SELECT $1::text || ?", 4);
  expect_statement(report, "postgresql", "query", "SELECT $1::int * ?", 3);
  expect_statement(report, "postgresql", "prepare", "SELECT ?", 1);
  expect_statement(report, "postgresql", "execute", "SELECT ?", 2);
  expect_statement(report, "postgresql", "query", "SELECT * FROM pt_missing_async", 1,
                   codes("42P01 undefined_table"));
  EXPECT_EQ(system_queries(report, "postgresql", "queries"), 18u) << report["db"].dump();
  EXPECT_EQ(system_queries(report, "postgresql", "errors"), 1u);

  // MariaDB: send + read_query_result, and statements prepared once, executed by handle.
  expect_statement(report, "mysql", "query", "SELECT SLEEP(?)", 1);
  expect_statement(report, "mysql", "prepare", "SELECT ? + ?", 1);
  expect_statement(report, "mysql", "execute", "SELECT ? + ?", 3);
  expect_statement(report, "mysql", "query", "CREATE TEMPORARY TABLE pt_uniq (id INT PRIMARY KEY)",
                   1);
  expect_statement(report, "mysql", "prepare", "INSERT INTO pt_uniq VALUES (?)", 1);
  expect_statement(report, "mysql", "execute", "INSERT INTO pt_uniq VALUES (?)", 2,
                   codes("1062 ER_DUP_ENTRY"));
  expect_statement(report, "mysql", "prepare", "SELECT * FROM pt.missing_stmt", 1,
                   codes("1146 ER_NO_SUCH_TABLE"));
  EXPECT_EQ(system_queries(report, "mysql", "queries"), 10u) << report["db"].dump();
  EXPECT_EQ(system_queries(report, "mysql", "errors"), 2u);

  // The asynchronous queries' latency runs from the send to the answer.
  std::set<std::string> slow_functions;
  for (const auto& e : tracer.events("db", "slow")) {
    EXPECT_EQ(e["pid"], traced.work->pid());
    if (e["latency_ns"].get<uint64_t>() >= 200'000'000u) slow_functions.insert(e["function"]);
  }
  EXPECT_EQ(slow_functions, std::set<std::string>({"PQsendQuery", "mysql_send_query"}));
  for (const auto& e : tracer.events("db", "error")) EXPECT_EQ(e["pid"], traced.work->pid());
  EXPECT_EQ(tracer.events("db", "error").size(), 3u);
}

TEST_F(DbTest, CClientAsyncAndPreparedCallsOnlyForTarget) { expect_c_client_calls({}, true); }

// Each thread's call in flight in an LRU hash keyed by tid (kernels before 5.12, where tracing
// programs have no task storage) rather than in its task: the same exact counts.
TEST_F(DbTest, CClientCallsStayExactWithCallsInFlightKeyedByTid) {
  expect_c_client_calls({"--no-attach", "task_storage"}, false);
}

// Accuracy (the rest is in accuracy_test.cpp): five 200 ms statements, traced with every family
// on, are the report's first finding, with the latency they were measured at within 10%.
TEST_F(DbTest, AccuracySlowQueryIsTheFirstFinding) {
  TestCgroup target("pt-acc-db");
  Client traced(target, {env("PODTRACE_DB_CLIENT"), "sleep", pg_port(), my_port()});
  TracerProcess tracer({"--cgroup", target.v2().string(), "--duration", "60s"});
  tracer.wait_for_start();
  traced.work->go();
  wait_attached(tracer, {"libpq", "libmariadb"}, traced.work->pid());
  traced.proceed();
  ASSERT_EQ(traced.work->wait(), 0);
  tracer.stop();
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();
  const auto report = tracer.report();
  auto s = statement(report, "postgresql", "query", "SELECT pg_sleep(?)");
  ASSERT_TRUE(s) << report["db"].dump();
  EXPECT_EQ((*s)["count"], 5);
  check_accuracy(report, {"slow_query", "statement latency (mean)", 200,
                          (*s)["latency"]["mean_ns"].get<double>() / 1e6, "ms", "db",
                          "slow postgresql query: p99 "});
}

// The time breakdown: one thread spends about 1 s in each of five states in turn (on CPU,
// sleeping, a contended mutex, a pg_sleep(1) query, a socket read behind a 1 s delay line). Each
// state comes out within 10% of 1 s, the states add up to the thread's wall time within 2%, and
// that wall time is the one the thread measured itself.
TEST_F(DbTest, TimeBreakdownOfOneSecondInEachState) {
  TestCgroup target("pt-time-target");
  NetnsPair net;
  constexpr uint16_t kPort = 7411;
  EchoServer echo(net, kPort);
  DelayLine delay(net, {"-p", "tcp", "--sport", std::to_string(kPort)}, 1000);
  const fs::path result = make_temp_dir("podtrace-time") / "result";
  Client traced(target, {env("PODTRACE_TIME_WORKLOAD"), pg_port(), net.client_ns(), net.server_ip(),
                         std::to_string(kPort), result.string()});
  TracerProcess tracer({"--cgroup", target.v2().string(), "--time-per-thread", "--disable",
                        "fileio,process,tcp,dns,udp,locks,profile,memory,netdev", "--duration",
                        "60s"});
  tracer.wait_for_start();
  traced.work->go();
  wait_attached(tracer, {"libpq"}, traced.work->pid());
  traced.proceed();
  ASSERT_EQ(traced.work->wait(), 0);
  tracer.stop();
  ASSERT_EQ(tracer.exit_code(), 0) << tracer.stderr_text();

  std::ifstream in(result);
  int tid = 0;
  uint64_t measured_wall = 0;
  ASSERT_TRUE(in >> tid >> measured_wall) << "no result from the workload";
  const auto report = tracer.report();
  auto thread = find_entry(report["time"]["threads"], {{"tid", tid}});
  ASSERT_TRUE(thread) << report["time"].dump();
  const auto& ns = (*thread)["state_ns"];
  uint64_t sum = 0;
  for (const auto& [state, value] : ns.items()) sum += value.get<uint64_t>();
  const double wall = (*thread)["wall_ns"].get<double>();
  std::printf("[time] thread %d: wall %.0f ns (measured %llu ns), states %s\n", tid, wall,
              static_cast<unsigned long long>(measured_wall), ns.dump().c_str());
  EXPECT_NEAR(static_cast<double>(sum), wall, 0.02 * wall) << ns.dump();
  EXPECT_NEAR(wall, static_cast<double>(measured_wall), 0.02 * measured_wall);
  for (const char* state : {"on_cpu", "sleep", "lock", "db", "network"})
    EXPECT_NEAR(ns.value(state, 0.0), 1e9, 1e8) << state << ": " << ns.dump();
  EXPECT_EQ(ns.value("throttled", 0), 0) << ns.dump();
  EXPECT_EQ(ns.value("dns", 0), 0) << ns.dump();
  EXPECT_LT(ns.value("file_io", uint64_t{0}), 50'000'000u) << ns.dump();
  // The process row sums its threads: the main thread and the mutex holder too.
  auto process = find_entry(report["time"]["processes"], {{"pid", traced.work->pid()}});
  ASSERT_TRUE(process) << report["time"].dump();
  EXPECT_EQ((*process)["threads"], 3) << process->dump();
  EXPECT_GE((*process)["state_ns"].value("lock", uint64_t{0}), ns.value("lock", uint64_t{0}));
}

}  // namespace
}  // namespace podtrace::tracer::testing
