// SPDX-License-Identifier: Apache-2.0
// The session loop. Network work happens on worker threads (one per log stream); the main
// thread only watches for the end, a stop signal, or the grace deadline after a stop.
#include "session/session.h"

#include <fmt/format.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "job/job_spec.h"
#include "kube/api_paths.h"
#include "kube/names.h"
#include "kube/pods.h"
#include "render/event_line.h"
#include "render/json_report.h"
#include "render/terminal_report.h"
#include "report/session_report.h"
#include "session/job_cleanup.h"
#include "session/job_pod.h"
#include "session/progress.h"
#include "session/signals.h"
#include "stream/log_follower.h"
#include "util/duration.h"
#include "util/random_id.h"
#include "util/sanitize.h"

namespace podtrace {
namespace {

using json = nlohmann::json;

struct NodeJob {
	std::string node;
	std::string name;
	std::vector<size_t> pods; // indexes into SessionReport::pods, container trace-<i> ↔ pods[i]
	std::string job_pod;
};

Result<std::vector<kube::PodInfo>> resolve_targets(const SessionOptions &o, kube::RestClient &client, std::ostream &err)
{
	std::vector<kube::PodInfo> targets;
	if (!o.pod.empty()) {
		auto pod = kube::get_pod(client, o.namespace_, o.pod);
		if (!pod)
			return pod.take_error();
		auto chosen = kube::select_containers(*pod, o.container);
		if (!chosen)
			return chosen.take_error();
		targets.push_back(std::move(*chosen));
		return targets;
	}
	std::vector<std::string> skipped;
	auto pods = kube::list_pods(client, o.namespace_, o.selector, skipped);
	if (!pods)
		return pods.take_error();
	for (const auto &s : skipped)
		err << s << "\n";
	for (const auto &pod : *pods) {
		auto chosen = kube::select_containers(pod, o.container);
		if (!chosen) {
			err << "skipping: " << chosen.error() << "\n";
			continue;
		}
		targets.push_back(std::move(*chosen));
	}
	if (targets.empty())
		return make_error(fmt::format("no running pod matches selector \"{}\" in namespace \"{}\"",
					      sanitize_for_terminal(o.selector), o.namespace_));
	return targets;
}

} // namespace

int run_session(const SessionOptions &o, kube::RestClient &client, std::ostream &out, std::ostream &err,
		bool stderr_is_tty, bool stdout_color)
{
	const std::string job_ns = o.job_namespace.empty() ? o.namespace_ : o.job_namespace;
	auto fail = [&](const std::string &message) {
		err << "error: " << message << "\n";
		return stop_requests() > 0 ? 130 : 1;
	};

	auto targets = resolve_targets(o, client, err);
	if (!targets)
		return fail(targets.error());

	SessionReport report;
	std::vector<NodeJob> jobs;
	std::map<std::string, size_t> job_of_node;
	const std::string session = random_id(8);
	for (auto &pod : *targets) {
		PodTrace trace;
		trace.pod = pod.name;
		trace.namespace_ = pod.namespace_;
		trace.node = pod.node;
		for (const auto &c : pod.containers)
			trace.traced_containers.push_back(c.name);
		report.pods.push_back(std::move(trace));
		auto [it, inserted] = job_of_node.emplace(pod.node, jobs.size());
		if (inserted)
			jobs.push_back({pod.node, {}, {}, {}});
		jobs[it->second].pods.push_back(report.pods.size() - 1);
	}
	for (size_t j = 0; j < jobs.size(); j++)
		jobs[j].name = jobs.size() == 1 ? "podtrace-" + session : fmt::format("podtrace-{}-{}", session, j);

	if (stop_requests() > 0)
		return fail("interrupted before the tracer was started");
	JobCleanup cleanup(client, err, o.keep);
	for (auto &job : jobs) {
		JobParams params;
		params.name = job.name;
		params.namespace_ = job_ns;
		params.session = session;
		params.node = job.node;
		params.image = o.image;
		params.privileged = o.privileged;
		params.duration = o.duration;
		params.start_timeout = std::chrono::duration_cast<std::chrono::seconds>(o.start_timeout);
		for (size_t i = 0; i < job.pods.size(); i++) {
			const auto &pod = (*targets)[job.pods[i]];
			TraceTarget t{pod.name, pod.namespace_, {}};
			for (const auto &c : pod.containers)
				t.container_ids.push_back(c.id);
			report.pods[job.pods[i]].job = job.name;
			report.pods[job.pods[i]].container = trace_container_name(i);
			params.targets.push_back(std::move(t));
		}
		auto manifest = render_job(params);
		if (!manifest)
			return fail(manifest.error());
		cleanup.add(job_ns, job.name);
		auto created = client.post(kube::jobs_path(job_ns), *manifest, {"create", "jobs", "batch", job_ns, ""});
		if (!created) {
			cleanup.mark_uncertain(job.name);
			return fail(created.error());
		}
		err << fmt::format("created job {} in namespace {} on node {} (session {})\n", job.name, job_ns,
				   sanitize_for_terminal(job.node), session);
	}

	// Wait for every Job's pod, sharing one start deadline.
	auto start_deadline = std::chrono::steady_clock::now() + o.start_timeout;
	for (auto &job : jobs) {
		Progress progress(err, stderr_is_tty);
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start_deadline - std::chrono::steady_clock::now());
		auto pod = wait_for_job_pod(client, job_ns, job.name, std::max(left, std::chrono::milliseconds(0)), progress,
					    [] { return stop_requests() > 0; });
		progress.done();
		if (!pod)
			return fail(pod.error());
		job.job_pod = *pod;
	}

	// One follower thread per traced pod.
	std::mutex report_mutex;
	std::mutex out_mutex;
	Style out_style(stdout_color);
	std::vector<std::unique_ptr<LogFollower>> followers;
	std::vector<size_t> follower_pod;
	for (const auto &job : jobs) {
		for (size_t i = 0; i < job.pods.size(); i++) {
			size_t index = job.pods[i];
			std::string label = report.pods.size() > 1 ? report.pods[index].pod : "";
			auto sink = [&, index, label](TracerLine &&line) {
				std::lock_guard<std::mutex> lock(report_mutex);
				PodTrace &trace = report.pods[index];
				switch (line.type) {
				case LineType::start:
					trace.start = std::move(line.data);
					break;
				case LineType::event:
					trace.events++;
					if (o.follow) {
						std::lock_guard<std::mutex> out_lock(out_mutex);
						if (o.output == OutputFormat::json) {
							if (!label.empty())
								line.data["pod"] = report.pods[index].namespace_ + "/" + label;
							out << line.data.dump(-1, ' ', true, json::error_handler_t::replace) << "\n";
						} else {
							out << format_event(line.data, label, out_style) << "\n";
						}
						out.flush();
					}
					break;
				case LineType::summary:
					trace.last_summary = std::move(line.data);
					break;
				case LineType::report:
					trace.report = std::move(line.data);
					break;
				case LineType::error: {
					auto it = line.data.find("message");
					trace.errors.push_back(it != line.data.end() && it->is_string() ? it->get<std::string>()
													 : "tracer error");
					break;
				}
				case LineType::unknown:
					break;
				}
			};
			auto notice = [&err, &out_mutex, label](const std::string &msg) {
				std::lock_guard<std::mutex> lock(out_mutex);
				err << (label.empty() ? "" : label + ": ") << msg << "\n";
			};
			followers.push_back(std::make_unique<LogFollower>(
				client, kube::pod_log_path(job_ns, job.job_pod, trace_container_name(i), true),
				kube::RequestTarget{"get", "pods/log", "", job_ns, job.job_pod}, sink, notice));
			follower_pod.push_back(index);
		}
	}

	std::string what = o.pod.empty() ? fmt::format("{} pods", report.pods.size()) : "pod " + o.pod;
	err << fmt::format("tracing {} for {}{}\n", sanitize_for_terminal(what), format_duration(o.duration),
			   o.follow ? "" : " (Ctrl-C stops early and still prints the report)");
	err.flush();

	std::vector<kube::StreamOutcome> outcomes(followers.size());
	std::atomic<size_t> finished{0};
	std::vector<std::thread> threads;
	for (size_t f = 0; f < followers.size(); f++) {
		threads.emplace_back([&, f] {
			outcomes[f] = followers[f]->run();
			finished++;
		});
	}

	bool stopping = false;
	bool canceled = false;
	std::chrono::steady_clock::time_point grace_deadline;
	while (finished < followers.size()) {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		int stops = stop_requests();
		if (stops > 0 && !stopping) {
			stopping = true;
			grace_deadline = std::chrono::steady_clock::now() + o.stop_grace;
			{
				std::lock_guard<std::mutex> lock(out_mutex);
				err << "\nstopping: deleting the tracer job; waiting for its final report (Ctrl-C again to quit now)\n";
			}
			// Deleting the Job makes the kubelet send SIGTERM: the tracer prints its report and exits.
			cleanup.delete_all();
		}
		if (!canceled && stopping && (stops > 1 || std::chrono::steady_clock::now() >= grace_deadline)) {
			canceled = true;
			for (auto &f : followers)
				f->cancel();
		}
	}
	for (auto &t : threads)
		t.join();

	for (size_t f = 0; f < followers.size(); f++) {
		PodTrace &trace = report.pods[follower_pod[f]];
		trace.garbage_lines = followers[f]->garbage();
		const auto &outcome = outcomes[f];
		if ((outcome.kind == kube::StreamOutcome::Kind::dropped || outcome.kind == kube::StreamOutcome::Kind::failed))
			trace.errors.push_back(outcome.message);
		else if (!trace.report && outcome.kind == kube::StreamOutcome::Kind::ended) {
			std::string end;
			for (const auto &job : jobs)
				if (job.name == trace.job && !stopping)
					end = describe_container_end(client, job_ns, job.job_pod, trace.container);
			trace.errors.push_back("the tracer ended without a report" + (end.empty() ? "" : ": " + end));
		}
	}
	cleanup.delete_all();

	bool any_report = false;
	for (const auto &p : report.pods)
		any_report = any_report || p.report || p.last_summary;
	if (o.report || !any_report) {
		if (o.output == OutputFormat::json)
			out << render_json_report(report) << "\n";
		else
			render_terminal_report(report, Style(stdout_color), out);
	}
	out.flush();

	if (stopping)
		return 130;
	for (const auto &p : report.pods)
		if (!p.report)
			return 1;
	return 0;
}

} // namespace podtrace
