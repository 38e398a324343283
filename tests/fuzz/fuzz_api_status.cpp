// SPDX-License-Identifier: Apache-2.0
// Fuzz target: an API server's error response (a `Status` object, or any body a proxy in between
// sends) turned into the one line the user sees. The first two bytes are the HTTP status.
#include "fuzz_support.h"
#include "kube/status.h"

using namespace podtrace::plugin;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int http_status = (data[0] << 8 | data[1]) % 1000;
  const std::string body(podtrace::fuzz::as_text(data + 2, size - 2));
  for (const kube::RequestTarget& target :
       {kube::RequestTarget{"get", "pods", "", "default", "web-1"},
        kube::RequestTarget{"create", "jobs", "batch", "kube-system", ""},
        kube::RequestTarget{"get", "pods/log", "", "", "web-1"}}) {
    const std::string message = kube::describe_api_error(http_status, body, target);
    FUZZ_CHECK(!message.empty());
    // The body is the server's text: it reaches the terminal only through the sanitizer.
    FUZZ_CHECK(podtrace::fuzz::no_control_chars(message));
  }
  return 0;
}
