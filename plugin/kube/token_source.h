// SPDX-License-Identifier: Apache-2.0
// Bearer token sources: a fixed token, a token file, or an exec credential plugin.
#pragma once

#include <memory>
#include <string>

#include "kube/exec_credential.h"
#include "kube/rest_client.h"

namespace podtrace::plugin::kube {

// A kubeconfig `token`, or a `tokenFile` re-read on refresh (service-account tokens rotate).
class StaticTokenSource : public TokenSource {
 public:
  StaticTokenSource(std::string token, std::string token_file)
      : token_(std::move(token)), token_file_(std::move(token_file)) {}
  Result<std::string> token(bool refresh) override;

 private:
  std::string token_;
  std::string token_file_;
};

class ExecTokenSource : public TokenSource {
 public:
  explicit ExecTokenSource(std::shared_ptr<ExecCredentialProvider> provider)
      : provider_(std::move(provider)) {}
  Result<std::string> token(bool refresh) override;

 private:
  std::shared_ptr<ExecCredentialProvider> provider_;
};

}  // namespace podtrace::plugin::kube
