// Environment lookup shared by the CLI sub-commands.

#include "platform/config.hpp"

#include <cstdlib>

namespace ptool::platform {

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at startup only
    if (v == nullptr || *v == '\0') {
        return fallback;
    }
    return v;
}

}  // namespace ptool::platform
