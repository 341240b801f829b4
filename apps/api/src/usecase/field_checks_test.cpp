// Merging the errors of schema, decoder and rules into one 422 list.

#include "usecase/field_checks.hpp"

#include <gtest/gtest.h>

namespace ptool::usecase {
namespace {

TEST(field_checks, merge_skips_reported_paths_and_what_lies_below_them) {
    domain::field_errors errs{{"/weekly/0", "must be an object"}, {"/weekly/1/day", "is required"}};
    merge_field_errors(
        errs,
        {
            {"/weekly/0/day", "must be one of mon..sun"},  // below a broken parent: dropped
            {"/weekly/1/day", "must be one of mon..sun"},  // the same path: dropped
            {"/weekly/10/end", "must be after start"},     // /weekly/1 is not its parent: kept
            {"/timezone", "unknown"},
        }
    );
    ASSERT_EQ(errs.size(), 4U);
    EXPECT_EQ(errs[2].path, "/weekly/10/end");
    EXPECT_EQ(errs[3].path, "/timezone");
}

TEST(field_checks, a_whole_body_error_hides_nothing) {
    domain::field_errors errs{{"", "must be an object"}};
    merge_field_errors(errs, {{"/name", "is required"}});
    ASSERT_EQ(errs.size(), 2U);
    EXPECT_EQ(errs[1].path, "/name");
}

}  // namespace
}  // namespace ptool::usecase
