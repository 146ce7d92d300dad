// The version every binary reports (--version, the About box): the project's version from CMake's
// project(VERSION) and the git commit the build was configured at, e.g. "0.1.0 (git a8b8a23)";
// "unknown" in place of the commit when the source is not a git checkout.
#pragma once

namespace invgfx {

const char* version_string();

}  // namespace invgfx
