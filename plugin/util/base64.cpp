// SPDX-License-Identifier: Apache-2.0
// Base64 with OpenSSL's EVP encoder: kubeconfig files carry PEM data this way.
#include "util/base64.h"

#include <openssl/evp.h>

#include <cctype>
#include <vector>

namespace podtrace::plugin {

Result<std::string> base64_decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  if (compact.size() % 4 != 0) return make_error("invalid base64: length is not a multiple of 4");

  std::vector<unsigned char> out(compact.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(compact.data()),
                          static_cast<int>(compact.size()));
  if (n < 0) return make_error("invalid base64");
  // EVP_DecodeBlock does not strip the bytes that '=' padding stands for.
  size_t len = static_cast<size_t>(n);
  if (!compact.empty() && compact.back() == '=') len--;
  if (compact.size() >= 2 && compact[compact.size() - 2] == '=') len--;
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string base64_encode(std::string_view data) {
  std::vector<unsigned char> out(4 * ((data.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<size_t>(n));
}

}  // namespace podtrace::plugin
