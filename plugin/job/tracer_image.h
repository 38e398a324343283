// SPDX-License-Identifier: Apache-2.0
// tracer_image.h: which tracer image a Job runs when --image is not given. A release archive
// carries a `tracer-image` file next to the plugin, naming the image by tag and digest
// (make release writes it from the image it built), so the Job pins exactly that image;
// without it, the tag.
#pragma once

#include <filesystem>
#include <string>

namespace podtrace::plugin {

// The contents of DIR/tracer-image when it is one valid image reference with a sha256 digest,
// else `fallback`.
std::string default_tracer_image_in(const std::filesystem::path& dir, const std::string& fallback);

// The same for the directory of the running plugin binary (symlinks resolved, as krew links).
std::string installed_tracer_image(const std::string& fallback);

}  // namespace podtrace::plugin
