// SPDX-License-Identifier: Apache-2.0
// generic_section.h: a section this build does not know (a newer tracer's family). It keeps its
// JSON as-is and renders it generically, so nothing the tracer sends is silently lost.
#pragma once

#include <string>

#include "section.h"

namespace podtrace {

class GenericSection final : public Section {
 public:
  GenericSection(std::string key, nlohmann::json value)
      : key_(std::move(key)), value_(std::move(value)) {}
  std::string_view key() const override { return key_; }
  std::string_view title() const override { return key_; }
  nlohmann::json to_json() const override { return value_; }
  void render(TextWriter& out) const override;
  void write_metrics(MetricsWriter&) const override {}
  void diagnose(const DiagnoseThresholds&, std::vector<Finding>&) const override {}
  std::unique_ptr<Section> clone() const override {
    return std::make_unique<GenericSection>(key_, value_);
  }

 private:
  std::string key_;
  nlohmann::json value_;
};

}  // namespace podtrace
