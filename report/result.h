// SPDX-License-Identifier: Apache-2.0
// result.h: Result<T>, the return type of every recoverable failure in the tracer and the plugin
// (exceptions are for fatal ones, caught in main).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace podtrace {

struct Error {
  std::string message;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}
  Result(Error error) : data_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(data_); }
  const T& value() const { return std::get<T>(data_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<Error>(data_).message; }
  Error take_error() const { return std::get<Error>(data_); }

 private:
  std::variant<T, Error> data_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;

inline Status ok_status() { return Ok{}; }

}  // namespace podtrace
