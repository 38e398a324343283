// SPDX-License-Identifier: Apache-2.0
// section.h: one family's part of the report. A family writes a plain struct T with
//   static constexpr std::string_view kKey (its JSON member) and kTitle (its heading),
// and, next to it, the free functions that SectionOf<T> calls (found by argument lookup):
//   void to_json(nlohmann::json&, const T&);        void from_json(const nlohmann::json&, T&);
//   void render_section(TextWriter&, const T&);     void write_section_metrics(MetricsWriter&,
//   const T&); void diagnose_section(const T&, const DiagnoseThresholds&, std::vector<Finding>&);
// Then one line in section_registry.cpp makes every renderer show it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "finding.h"
#include "metrics_writer.h"
#include "text_writer.h"

namespace podtrace {

class Section {
 public:
  virtual ~Section() = default;
  virtual std::string_view key() const = 0;
  virtual std::string_view title() const = 0;
  virtual nlohmann::json to_json() const = 0;
  virtual void render(TextWriter& out) const = 0;
  virtual void write_metrics(MetricsWriter& out) const = 0;
  virtual void diagnose(const DiagnoseThresholds& t, std::vector<Finding>& out) const = 0;
  virtual std::unique_ptr<Section> clone() const = 0;
  // The family saw nothing of the pod: the text report folds such sections into one line. A
  // family opts in with `bool section_quiet(const T&)`; without it, never.
  virtual bool quiet() const { return false; }
};

template <typename T>
class SectionOf final : public Section {
 public:
  explicit SectionOf(T v = {}) : value(std::move(v)) {}
  std::string_view key() const override { return T::kKey; }
  std::string_view title() const override { return T::kTitle; }
  nlohmann::json to_json() const override { return nlohmann::json(value); }
  void render(TextWriter& out) const override { render_section(out, value); }
  void write_metrics(MetricsWriter& out) const override { write_section_metrics(out, value); }
  void diagnose(const DiagnoseThresholds& t, std::vector<Finding>& out) const override {
    diagnose_section(value, t, out);
  }
  std::unique_ptr<Section> clone() const override { return std::make_unique<SectionOf>(value); }
  bool quiet() const override {
    if constexpr (requires(const T& v) { section_quiet(v); })
      return section_quiet(value);
    else
      return false;
  }

  T value;
};

}  // namespace podtrace
