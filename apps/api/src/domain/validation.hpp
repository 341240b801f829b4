#pragma once
// Field-level validation results shared by every request: all errors of a request are
// collected and reported at once (SPEC §3.5). Paths are JSON pointers in wire (camelCase) names.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ptool::domain {

// True when `s` is a canonical UUID (8-4-4-4-12 hex digits, either case).
inline bool is_uuid(std::string_view s) {
    if (s.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

struct field_error {
    std::string path;
    std::string message;
    friend bool operator==(const field_error&, const field_error&) = default;
};

using field_errors = std::vector<field_error>;

// Either a value or the list of everything wrong with the input.
template <class T>
class validated {
public:
    validated(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    validated(field_errors errors)
        : v_(std::move(errors)) {}  // NOLINT(google-explicit-constructor)
    bool ok() const { return v_.index() == 0; }
    const T& value() const { return std::get<0>(v_); }
    T& value() { return std::get<0>(v_); }
    const field_errors& errors() const { return std::get<1>(v_); }

private:
    std::variant<T, field_errors> v_;
};

}  // namespace ptool::domain
