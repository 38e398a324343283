// SPDX-License-Identifier: Apache-2.0
// db_statement.cpp: a small SQL lexer (enough to tell literals from the rest), the IN-list
// rule, and display text.
#include "probes/db_statement.h"

#include <cctype>
#include <vector>

#include "terminal_safe.h"

namespace podtrace::tracer {

namespace {

struct Token {
  enum class Kind { kWord, kLiteral, kParam, kPunct };
  Kind kind;
  std::string text;
  bool space_before = false;
};

using Kind = Token::Kind;

// Control characters count as whitespace: they separate tokens and never reach the output.
bool is_space(unsigned char c) { return c <= 0x20 || c == 0x7f; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return std::isxdigit(c) != 0; }
bool is_ident_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool is_ident(unsigned char c) { return is_ident_start(c) || is_digit(c) || c == '$'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

class Lexer {
 public:
  Lexer(std::string_view s, SqlDialect d) : s_(s), d_(d) {}

  std::vector<Token> run() {
    while (i_ < s_.size()) step();
    return std::move(out_);
  }

 private:
  unsigned char at(size_t k) const { return k < s_.size() ? static_cast<unsigned char>(s_[k]) : 0; }
  bool mysql() const { return d_ == SqlDialect::kMySql; }

  void emit(Kind kind, std::string text) {
    out_.push_back({kind, std::move(text), space_});
    space_ = false;
  }

  void skip_to_line_end() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
    space_ = true;
  }

  // /* ... */; PostgreSQL nests them, MySQL does not. Unterminated: to the end.
  void skip_block_comment() {
    int depth = 0;
    while (i_ < s_.size()) {
      if (at(i_) == '/' && at(i_ + 1) == '*') {
        if (depth == 0 || !mysql()) ++depth;
        i_ += 2;
      } else if (at(i_) == '*' && at(i_ + 1) == '/') {
        i_ += 2;
        if (--depth == 0) break;
      } else {
        ++i_;
      }
    }
    space_ = true;
  }

  // From the opening quote at i_ to after the closing one; a doubled quote is one quote, and
  // with `backslash` a backslash escapes the next byte. Unterminated: to the end.
  void skip_quoted(char quote, bool backslash) {
    ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (backslash && c == '\\') {
        i_ += 2;
      } else if (c == quote) {
        if (at(i_ + 1) == static_cast<unsigned char>(quote)) {
          i_ += 2;
        } else {
          ++i_;
          return;
        }
      } else {
        ++i_;
      }
    }
    i_ = s_.size();
  }

  // A quoted identifier is kept as written, but for control characters, which become spaces.
  void quoted_identifier(char quote) {
    const size_t start = i_;
    skip_quoted(quote, false);
    std::string name(s_.substr(start, i_ - start));
    for (auto& c : name)
      if (is_space(static_cast<unsigned char>(c))) c = ' ';
    emit(Kind::kWord, std::move(name));
  }

  void string_literal(char quote, bool backslash) {
    skip_quoted(quote, backslash);
    emit(Kind::kLiteral, "?");
  }

  // PostgreSQL: $1 is a parameter; $tag$...$tag$ and $$...$$ are strings.
  void dollar() {
    if (is_digit(at(i_ + 1))) {
      const size_t start = i_++;
      while (is_digit(at(i_))) ++i_;
      emit(Kind::kParam, std::string(s_.substr(start, i_ - start)));
      return;
    }
    size_t j = i_ + 1;
    if (is_ident_start(at(j)))
      while (j < s_.size() && at(j) != '$' && is_ident(at(j))) ++j;
    if (at(j) != '$') {
      ++i_;
      emit(Kind::kPunct, "$");
      return;
    }
    const std::string_view tag = s_.substr(i_, j - i_ + 1);
    const size_t close = s_.find(tag, j + 1);
    i_ = close == std::string_view::npos ? s_.size() : close + tag.size();
    emit(Kind::kLiteral, "?");
  }

  void number() {
    const size_t start = i_;
    if (at(i_) == '0' && (at(i_ + 1) == 'x' || at(i_ + 1) == 'X') && is_hex(at(i_ + 2))) {
      i_ += 2;
      while (is_hex(at(i_))) ++i_;
    } else if (at(i_) == '0' && (at(i_ + 1) == 'b' || at(i_ + 1) == 'B') &&
               (at(i_ + 2) == '0' || at(i_ + 2) == '1')) {
      i_ += 2;
      while (at(i_) == '0' || at(i_) == '1') ++i_;
    } else {
      while (is_digit(at(i_))) ++i_;
      if (at(i_) == '.') {
        ++i_;
        while (is_digit(at(i_))) ++i_;
      }
      if ((at(i_) == 'e' || at(i_) == 'E') &&
          (is_digit(at(i_ + 1)) ||
           ((at(i_ + 1) == '+' || at(i_ + 1) == '-') && is_digit(at(i_ + 2))))) {
        i_ += 2;
        while (is_digit(at(i_))) ++i_;
      }
    }
    // MySQL names may start with digits (1abc): then it was a name all along.
    if (i_ < s_.size() && is_ident(at(i_)) && at(i_) != '$') {
      while (i_ < s_.size() && is_ident(at(i_))) ++i_;
      emit(Kind::kWord, std::string(s_.substr(start, i_ - start)));
      return;
    }
    emit(Kind::kLiteral, "?");
  }

  void word() {
    const size_t start = i_;
    while (i_ < s_.size() && is_ident(at(i_))) ++i_;
    const std::string_view w = s_.substr(start, i_ - start);
    // E'', N'', B'', X'' and MySQL's _charset'' prefix a string.
    if (at(i_) == '\'') {
      const bool escape = iequals(w, "e");
      if (escape || iequals(w, "n") || iequals(w, "b") || iequals(w, "x") ||
          (mysql() && w.size() > 1 && w[0] == '_')) {
        string_literal('\'', escape || mysql());
        return;
      }
    }
    emit(Kind::kWord, std::string(w));
  }

  void step() {
    const unsigned char c = at(i_);
    const unsigned char n = at(i_ + 1);
    if (is_space(c)) {
      ++i_;
      space_ = true;
    } else if (c == '-' && n == '-' && (!mysql() || i_ + 2 >= s_.size() || is_space(at(i_ + 2)))) {
      skip_to_line_end();  // MySQL wants a space after --: 1--1 is 1 - -1
    } else if (c == '#' && mysql()) {
      skip_to_line_end();
    } else if (c == '/' && n == '*') {
      skip_block_comment();
    } else if (c == '\'') {
      string_literal('\'', mysql());
    } else if (c == '"') {
      if (mysql())
        string_literal('"', true);
      else
        quoted_identifier('"');
    } else if (c == '`') {
      quoted_identifier('`');
    } else if (c == '$' && !mysql()) {
      dollar();
    } else if (c == '?') {
      ++i_;
      emit(Kind::kParam, "?");
    } else if (is_digit(c) || (c == '.' && is_digit(n))) {
      number();
    } else if (is_ident_start(c)) {
      word();
    } else {
      ++i_;
      emit(Kind::kPunct, std::string(1, static_cast<char>(c)));
    }
  }

  std::string_view s_;
  SqlDialect d_;
  size_t i_ = 0;
  bool space_ = false;
  std::vector<Token> out_;
};

bool is_punct(const Token& t, char c) { return t.kind == Kind::kPunct && t.text[0] == c; }
bool is_value(const Token& t) { return t.kind == Kind::kLiteral || t.kind == Kind::kParam; }

// IN (1, 2, 3) -> IN (?): lists of literals and parameters (signed or not) after IN. A list cut
// off by truncation collapses to "(?" with nothing after it.
void collapse_in_lists(std::vector<Token>& t) {
  for (size_t k = 0; k + 1 < t.size(); ++k) {
    if (t[k].kind != Kind::kWord || !iequals(t[k].text, "in") || !is_punct(t[k + 1], '(')) continue;
    size_t m = k + 2;
    size_t values = 0;
    bool expect_value = true;
    bool closed = false;
    bool simple = true;
    while (m < t.size()) {
      if (expect_value) {
        if ((is_punct(t[m], '-') || is_punct(t[m], '+')) && m + 1 < t.size() && is_value(t[m + 1]))
          ++m;
        if (!is_value(t[m])) {
          simple = false;
          break;
        }
        ++values;
        expect_value = false;
      } else if (is_punct(t[m], ',')) {
        expect_value = true;
      } else if (is_punct(t[m], ')')) {
        closed = true;
        break;
      } else {
        simple = false;
        break;
      }
      ++m;
    }
    if (!simple || values == 0) continue;
    std::vector<Token> list{t[k + 1], {Kind::kLiteral, "?", false}};
    if (closed) list.push_back({Kind::kPunct, ")", false});
    const size_t end = closed ? m + 1 : t.size();
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(k + 1),
            t.begin() + static_cast<std::ptrdiff_t>(end));
    t.insert(t.begin() + static_cast<std::ptrdiff_t>(k + 1), list.begin(), list.end());
  }
}

// Bytes that begin a UTF-8 character (not continuation bytes).
size_t char_boundary_at_most(std::string_view s, size_t n) {
  if (n >= s.size()) return s.size();
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

std::string normalise_statement(std::string_view sql, SqlDialect dialect) {
  auto tokens = Lexer(sql, dialect).run();
  collapse_in_lists(tokens);
  std::string out;
  out.reserve(sql.size());
  for (const auto& t : tokens) {
    if (t.space_before && !out.empty()) out += ' ';
    out += t.text;
  }
  // An unterminated quoted identifier (a truncated statement) keeps its trailing blanks as
  // spaces; the statement still ends without one (found by tests/fuzz).
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string printable_statement(std::string_view sql, bool truncated, size_t max_bytes) {
  std::string squeezed;
  squeezed.reserve(sql.size());
  bool space = false;
  for (char ch : sql) {
    if (is_space(static_cast<unsigned char>(ch))) {
      space = true;
      continue;
    }
    if (space && !squeezed.empty()) squeezed += ' ';
    space = false;
    squeezed += ch;
  }
  std::string text = sanitize_for_terminal(squeezed);
  const size_t cut = char_boundary_at_most(text, max_bytes);
  if (cut < text.size()) {
    text.resize(cut);
    truncated = true;
  }
  if (truncated) text += "…";
  return text;
}

}  // namespace podtrace::tracer
