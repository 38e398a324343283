// SPDX-License-Identifier: Apache-2.0
// event_line_budget_test.cpp: the per-family line budget streams a burst whole, then its rate,
// and counts every line it holds back, family by family.
#include "event_line_budget.h"

#include <gtest/gtest.h>

namespace podtrace::tracer {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

// How many of `n` lines of `family` the budget lets through.
int taken(EventLineBudget& budget, std::string_view family, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += budget.take(family);
  return ok;
}

TEST(EventLineBudgetTest, AFamilyStreamsOneSecondsWorthThenCountsTheRest) {
  EventLineBudget budget(100);
  budget.refill(5 * kSecond);
  EXPECT_EQ(taken(budget, "fileio", 250), 100);
  EXPECT_EQ(budget.not_streamed(), (std::map<std::string, uint64_t>{{"fileio", 150}}));
}

TEST(EventLineBudgetTest, RefillsAtItsRateAndSavesUpAtMostOneSecond) {
  EventLineBudget budget(100);
  budget.refill(kSecond);
  EXPECT_EQ(taken(budget, "fileio", 100), 100);
  budget.refill(kSecond + kSecond / 4);  // a quarter second: 25 lines
  EXPECT_EQ(taken(budget, "fileio", 100), 25);
  budget.refill(60 * kSecond);  // a minute of quiet saves up one second, not sixty
  EXPECT_EQ(taken(budget, "fileio", 1000), 100);
  EXPECT_EQ(budget.not_streamed().at("fileio"), 75u + 900u);
}

TEST(EventLineBudgetTest, FamiliesHaveBudgetsOfTheirOwn) {
  EventLineBudget budget(10);
  budget.refill(kSecond);
  EXPECT_EQ(taken(budget, "fileio", 50), 10);
  // A flood of file errors leaves the process family's exits and execs alone.
  EXPECT_EQ(taken(budget, "process", 10), 10);
  EXPECT_EQ(budget.not_streamed(), (std::map<std::string, uint64_t>{{"fileio", 40}}));
}

TEST(EventLineBudgetTest, AdmitsPeeksAndCountsOnlyWhatItRefuses) {
  EventLineBudget budget(2);
  budget.refill(kSecond);
  // A family asks before it builds an event, then streams it: one line, one token.
  EXPECT_TRUE(budget.admits("dns"));
  EXPECT_TRUE(budget.take("dns"));
  EXPECT_TRUE(budget.admits("dns"));
  EXPECT_TRUE(budget.take("dns"));
  EXPECT_FALSE(budget.admits("dns"));  // the family builds nothing: counted once, here
  EXPECT_EQ(budget.not_streamed().at("dns"), 1u);
}

TEST(EventLineBudgetTest, ZeroStreamsEveryLine) {
  EventLineBudget budget(0);
  budget.refill(kSecond);
  EXPECT_EQ(taken(budget, "fileio", 100000), 100000);
  EXPECT_TRUE(budget.not_streamed().empty());
}

}  // namespace
}  // namespace podtrace::tracer
