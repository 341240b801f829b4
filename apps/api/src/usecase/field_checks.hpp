#pragma once
// Small rules shared by the use cases that check input fields (artists, projects). Pure;
// thread-safe.

#include <cstddef>
#include <string_view>

#include "domain/validation.hpp"

namespace ptool::usecase {

// Code points of a UTF-8 string (bodies were valid JSON, hence valid UTF-8).
std::size_t utf8_length(std::string_view s);

// True when `s` is empty or only spaces, tabs and line breaks.
bool is_blank(std::string_view s);

// Adds `extra` to `errs`, skipping paths already reported and paths below a reported one (the
// schema, the DTO and the use case may find the same member wrong, and a member that is not
// even an object needs no errors about its fields); `errs` keeps its order and comes first.
void merge_field_errors(domain::field_errors& errs, const domain::field_errors& extra);

}  // namespace ptool::usecase
