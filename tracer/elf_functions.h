// SPDX-License-Identifier: Apache-2.0
// elf_functions.h: where a library's exported functions are in its file, for uprobes. libbpf 1.1
// refuses a name that .dynsym holds under several symbol versions as ambiguous, and libmariadb
// exports every client function twice (mysql_real_query@libmysqlclient_18 and
// @libmariadbclient_18, one address); this lookup accepts that.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "result.h"

namespace podtrace::tracer {

// The file offsets (what bpf_program__attach_uprobe_opts() takes) of the defined functions
// among `names`, from .dynsym (else .symtab). A name held at several addresses resolves to its
// default version (`name@@VERSION`). Names not found are absent from the map. An error when the
// file is not a readable ELF file.
Result<std::map<std::string, uint64_t>> function_file_offsets(
    const std::filesystem::path& path, const std::vector<std::string>& names);

}  // namespace podtrace::tracer
