// SPDX-License-Identifier: Apache-2.0
// sections/process.cpp: JSON, text, metrics and findings of the process section.
#include "sections/process.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <tuple>

#include "json_read.h"

namespace podtrace {

bool exit_failed(const ProcessExit& x) { return x.oom_killed || x.signal || x.exit_code; }

void to_json(nlohmann::json& j, const ProcessExit& x) {
  j = {{"pid", x.pid},
       {"ppid", x.ppid},
       {"comm", x.comm},
       {"exit_code", x.exit_code},
       {"signal", x.signal},
       {"core_dumped", x.core_dumped},
       {"oom_killed", x.oom_killed}};
  if (x.count > 1) j["count"] = x.count;
}

void from_json(const nlohmann::json& j, ProcessExit& x) {
  read_field(j, "pid", x.pid);
  read_field(j, "ppid", x.ppid);
  read_field(j, "comm", x.comm);
  read_field(j, "exit_code", x.exit_code);
  read_field(j, "signal", x.signal);
  read_field(j, "core_dumped", x.core_dumped);
  read_field(j, "oom_killed", x.oom_killed);
  read_field(j, "count", x.count);
}

void to_json(nlohmann::json& j, const ProcessReport& p) {
  j = {{"execs", p.execs}, {"forks", p.forks},         {"threads", p.threads},
       {"exits", p.exits}, {"oom_kills", p.oom_kills}, {"exited", p.exited}};
}

void from_json(const nlohmann::json& j, ProcessReport& p) {
  read_field(j, "execs", p.execs);
  read_field(j, "forks", p.forks);
  read_field(j, "threads", p.threads);
  read_field(j, "exits", p.exits);
  read_field(j, "oom_kills", p.oom_kills);
  read_array(j, "exited", p.exited);
}

namespace {

std::string how_it_ended(const ProcessExit& x) {
  if (x.oom_killed) return "OOM-killed";
  if (x.signal)
    return fmt::format("killed by signal {}{}", x.signal, x.core_dumped ? " (core dumped)" : "");
  return fmt::format("exit {}", x.exit_code);
}

}  // namespace

void render_section(TextWriter& out, const ProcessReport& p) {
  out.section(ProcessReport::kTitle);
  out.raw_line(
      fmt::format("{} exec · {} fork · {} threads · {} exits · ", p.execs, p.forks, p.threads,
                  p.exits) +
      out.paint(fmt::format("{} OOM kills", p.oom_kills), p.oom_kills ? Tone::kRed : Tone::kPlain));
  if (p.exited.empty()) return;
  // Failures first: clean exits are the common case and fill the table otherwise.
  std::vector<const ProcessExit*> rows;
  for (const auto& x : p.exited)
    if (exit_failed(x)) rows.push_back(&x);
  for (const auto& x : p.exited)
    if (!exit_failed(x)) rows.push_back(&x);
  Table table(
      {{"process", Table::Align::kLeft}, {"pid"}, {"ppid"}, {"ended", Table::Align::kLeft}});
  for (const auto* x : rows)
    table.add_row({{x->comm},
                   {std::to_string(x->pid)},
                   {std::to_string(x->ppid)},
                   {how_it_ended(*x) + (x->count > 1 ? fmt::format(" (×{})", x->count) : ""),
                    exit_failed(*x) ? Tone::kRed : Tone::kPlain}});
  out.table(table);
}

void write_section_metrics(MetricsWriter& out, const ProcessReport& p) {
  out.family("podtrace_process_events_total", "counter",
             "Process life-cycle events in the pod, by kind.");
  for (auto [kind, n] : {std::pair{"exec", p.execs},
                         {"fork", p.forks},
                         {"exit", p.exits},
                         {"oom_kill", p.oom_kills}})
    out.sample("podtrace_process_events_total", {{"kind", kind}}, n);
}

void diagnose_section(const ProcessReport& p, const DiagnoseThresholds&,
                      std::vector<Finding>& out) {
  // One finding per program and outcome: five failed `readlink`s are one finding, not five.
  struct Group {
    const ProcessExit* first = nullptr;
    std::vector<uint32_t> pids;  // the listed ones
    uint64_t exits = 0;          // with those counted but not listed
    bool core_dumped = false;
  };
  std::map<std::tuple<std::string, bool, int, int>, Group> groups;
  std::vector<std::tuple<std::string, bool, int, int>> order;
  for (const auto& x : p.exited) {
    if (!exit_failed(x)) continue;
    const auto key = std::make_tuple(x.comm, x.oom_killed, x.signal, x.exit_code);
    Group& g = groups[key];
    if (!g.first) {
      g.first = &x;
      order.push_back(key);
    }
    g.pids.push_back(x.pid);
    g.exits += x.count;
    g.core_dumped = g.core_dumped || x.core_dumped;
  }
  for (const auto& key : order) {
    const Group& g = groups[key];
    const ProcessExit& x = *g.first;
    const std::string who =
        g.exits == 1
            ? fmt::format("{} (pid {})", x.comm, x.pid)
            : fmt::format("{} ({} processes: pids {}{})", x.comm, g.exits,
                          fmt::join(g.pids.begin(),
                                    g.pids.begin() + std::min<size_t>(5, g.pids.size()), ", "),
                          g.exits > std::min<size_t>(5, g.pids.size()) ? ", …" : "");
    if (x.oom_killed)
      out.push_back({"critical", "process", who + " was OOM-killed",
                     "the container hit its memory limit: raise it or reduce memory use"});
    else if (x.signal)
      out.push_back({"warning", "process", fmt::format("{} killed by signal {}", who, x.signal),
                     g.core_dumped ? "core dumped" : ""});
    else
      out.push_back(
          {"warning", "process", fmt::format("{} exited with code {}", who, x.exit_code), ""});
  }
}

bool section_quiet(const ProcessReport& p) {
  return p.execs == 0 && p.forks == 0 && p.exits == 0 && p.oom_kills == 0 && p.exited.empty();
}

}  // namespace podtrace
