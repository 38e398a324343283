// SPDX-License-Identifier: Apache-2.0
// Token sources for RestClient's Authorization header.
#include "kube/token_source.h"

#include "kube/client_config.h"

namespace podtrace::plugin::kube {

Result<std::string> StaticTokenSource::token(bool refresh) {
  if (refresh && !token_file_.empty()) {
    if (auto contents = read_file(token_file_)) {
      std::string t = *contents;
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
      token_ = t;
    }
  }
  return token_;
}

Result<std::string> ExecTokenSource::token(bool refresh) {
  auto cred = provider_->get(refresh);
  if (!cred) return cred.take_error();
  return cred->token;
}

}  // namespace podtrace::plugin::kube
