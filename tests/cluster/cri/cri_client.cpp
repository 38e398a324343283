// SPDX-License-Identifier: Apache-2.0
// cri_client.cpp: CRI calls with deadlines.
#include "cri_client.h"

#include <grpcpp/grpcpp.h>

namespace podtrace::cluster {

namespace rt = runtime::v1;

namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

std::unique_ptr<grpc::ClientContext> context(std::chrono::seconds extra = {}) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + kDeadline + extra);
  return ctx;
}

// Runs one unary call; the reply on success, "Method: message" on failure.
template <typename Reply, typename Call>
CriResult<Reply> call(const char* method, Call&& invoke, std::chrono::seconds extra = {}) {
  auto ctx = context(extra);
  Reply reply;
  grpc::Status status = invoke(ctx.get(), &reply);
  if (!status.ok()) return {std::nullopt, std::string(method) + ": " + status.error_message()};
  return {std::move(reply), ""};
}

template <typename Reply>
CriResult<bool> done(CriResult<Reply> r) {
  if (!r) return {std::nullopt, r.error};
  return {true, ""};
}

}  // namespace

CriClient::CriClient(const std::string& socket)
    : channel_(grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials())),
      runtime_(rt::RuntimeService::NewStub(channel_)),
      images_(rt::ImageService::NewStub(channel_)) {}

CriResult<rt::VersionResponse> CriClient::version() {
  rt::VersionRequest req;
  return call<rt::VersionResponse>(
      "Version", [&](auto* ctx, auto* reply) { return runtime_->Version(ctx, req, reply); });
}

CriResult<std::string> CriClient::run_pod_sandbox(const rt::PodSandboxConfig& config) {
  rt::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  auto r = call<rt::RunPodSandboxResponse>("RunPodSandbox", [&](auto* ctx, auto* reply) {
    return runtime_->RunPodSandbox(ctx, req, reply);
  });
  if (!r) return {std::nullopt, r.error};
  return {r.value->pod_sandbox_id(), ""};
}

CriResult<bool> CriClient::stop_pod_sandbox(const std::string& id) {
  rt::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  return done(call<rt::StopPodSandboxResponse>("StopPodSandbox", [&](auto* ctx, auto* reply) {
    return runtime_->StopPodSandbox(ctx, req, reply);
  }));
}

CriResult<bool> CriClient::remove_pod_sandbox(const std::string& id) {
  rt::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  return done(call<rt::RemovePodSandboxResponse>("RemovePodSandbox", [&](auto* ctx, auto* reply) {
    return runtime_->RemovePodSandbox(ctx, req, reply);
  }));
}

CriResult<rt::PodSandboxStatus> CriClient::pod_sandbox_status(const std::string& id) {
  rt::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  auto r = call<rt::PodSandboxStatusResponse>("PodSandboxStatus", [&](auto* ctx, auto* reply) {
    return runtime_->PodSandboxStatus(ctx, req, reply);
  });
  if (!r) return {std::nullopt, r.error};
  return {r.value->status(), ""};
}

CriResult<std::string> CriClient::create_container(const std::string& sandbox_id,
                                                   const rt::ContainerConfig& config,
                                                   const rt::PodSandboxConfig& sandbox) {
  rt::CreateContainerRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = sandbox;
  auto r = call<rt::CreateContainerResponse>("CreateContainer", [&](auto* ctx, auto* reply) {
    return runtime_->CreateContainer(ctx, req, reply);
  });
  if (!r) return {std::nullopt, r.error};
  return {r.value->container_id(), ""};
}

CriResult<bool> CriClient::start_container(const std::string& id) {
  rt::StartContainerRequest req;
  req.set_container_id(id);
  return done(call<rt::StartContainerResponse>("StartContainer", [&](auto* ctx, auto* reply) {
    return runtime_->StartContainer(ctx, req, reply);
  }));
}

CriResult<bool> CriClient::stop_container(const std::string& id, int64_t timeout_s) {
  rt::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout_s);
  return done(call<rt::StopContainerResponse>(
      "StopContainer",
      [&](auto* ctx, auto* reply) { return runtime_->StopContainer(ctx, req, reply); },
      std::chrono::seconds(timeout_s)));
}

CriResult<bool> CriClient::remove_container(const std::string& id) {
  rt::RemoveContainerRequest req;
  req.set_container_id(id);
  return done(call<rt::RemoveContainerResponse>("RemoveContainer", [&](auto* ctx, auto* reply) {
    return runtime_->RemoveContainer(ctx, req, reply);
  }));
}

CriResult<rt::ContainerStatus> CriClient::container_status(const std::string& id) {
  rt::ContainerStatusRequest req;
  req.set_container_id(id);
  auto r = call<rt::ContainerStatusResponse>("ContainerStatus", [&](auto* ctx, auto* reply) {
    return runtime_->ContainerStatus(ctx, req, reply);
  });
  if (!r) return {std::nullopt, r.error};
  return {r.value->status(), ""};
}

CriResult<std::string> CriClient::image_id(const std::string& image) {
  rt::ImageStatusRequest req;
  req.mutable_image()->set_image(image);
  auto r = call<rt::ImageStatusResponse>(
      "ImageStatus", [&](auto* ctx, auto* reply) { return images_->ImageStatus(ctx, req, reply); });
  if (!r) return {std::nullopt, r.error};
  return {r.value->has_image() ? r.value->image().id() : std::string(), ""};
}

}  // namespace podtrace::cluster
