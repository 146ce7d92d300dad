// Implementation of core/version.h.
#include "core/version.h"

#ifndef INVGFX_VERSION
#define INVGFX_VERSION "0.0.0"
#endif
#ifndef INVGFX_GIT_DESCRIBE
#define INVGFX_GIT_DESCRIBE "unknown"
#endif

namespace invgfx {

const char* version_string() { return INVGFX_VERSION " (git " INVGFX_GIT_DESCRIBE ")"; }

}  // namespace invgfx
