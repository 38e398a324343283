// SPDX-License-Identifier: Apache-2.0
// cri_client.h: the harness kubelet's side of the CRI: synchronous calls to containerd's
// runtime.v1 RuntimeService and ImageService over its unix socket, each with a deadline, each
// failure a one-line message.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "runtime_v1_subset.grpc.pb.h"

namespace podtrace::cluster {

template <typename T>
struct CriResult {
  std::optional<T> value;
  std::string error;  // "RunPodSandbox: ...", when value is empty
  explicit operator bool() const { return value.has_value(); }
};

class CriClient {
 public:
  // socket: a path ("/run/x/containerd.sock").
  explicit CriClient(const std::string& socket);

  CriResult<runtime::v1::VersionResponse> version();
  CriResult<std::string> run_pod_sandbox(const runtime::v1::PodSandboxConfig& config);
  CriResult<bool> stop_pod_sandbox(const std::string& id);
  CriResult<bool> remove_pod_sandbox(const std::string& id);
  CriResult<runtime::v1::PodSandboxStatus> pod_sandbox_status(const std::string& id);
  CriResult<std::string> create_container(const std::string& sandbox_id,
                                          const runtime::v1::ContainerConfig& config,
                                          const runtime::v1::PodSandboxConfig& sandbox);
  CriResult<bool> start_container(const std::string& id);
  CriResult<bool> stop_container(const std::string& id, int64_t timeout_s);
  CriResult<bool> remove_container(const std::string& id);
  CriResult<runtime::v1::ContainerStatus> container_status(const std::string& id);
  // The image's id when the node has it; an empty id when it has not.
  CriResult<std::string> image_id(const std::string& image);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
};

}  // namespace podtrace::cluster
