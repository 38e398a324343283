// SPDX-License-Identifier: Apache-2.0
// Session ids: unguessable so two users tracing the same pod never collide.
#include "util/random_id.h"

#include <openssl/rand.h>

#include <random>
#include <vector>

namespace podtrace::plugin {

std::string random_id(size_t length) {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<unsigned char> bytes(length);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    std::random_device rd;
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  }
  std::string id;
  for (unsigned char b : bytes) id.push_back(alphabet[b % (sizeof(alphabet) - 1)]);
  return id;
}

}  // namespace podtrace::plugin
