#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Embeds a text file (manifests/job.yaml) as a C++ string_view, so an installed plugin (krew)
# needs no file next to it.
import sys

src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(src, encoding='utf-8').read()
delim = 'PODTRACE'
if ')' + delim + '"' in text:
    sys.exit(f'{src} contains the raw-string delimiter')
with open(out, 'w', encoding='utf-8') as f:
    f.write('// Generated from ' + src.split('/')[-1] + ' by embed_file.py. Do not edit.\n')
    f.write('#pragma once\n#include <string_view>\n')
    f.write(f'namespace podtrace::plugin {{\ninline constexpr std::string_view {name} = R"{delim}({text}){delim}";\n}}\n')
