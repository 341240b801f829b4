#include "platform/metrics.hpp"

#include <gtest/gtest.h>

namespace ptool::platform {
namespace {

TEST(metrics, renders_counters_histograms_and_gauges) {
    metrics m;
    m.inc("ptool_http_requests_total", "Requests.", {{"route", "/healthz"}, {"status", "200"}});
    m.inc("ptool_http_requests_total", "Requests.", {{"route", "/healthz"}, {"status", "200"}});
    m.observe("ptool_http_request_duration_seconds", "Latency.", {{"route", "/x"}}, 0.003);
    m.gauge("ptool_db_pool_size", "Pool size.", {}, [] { return 4.0; });
    auto text = m.render();
    EXPECT_NE(text.find("ptool_http_requests_total{route=\"/healthz\",status=\"200\"} 2"), std::string::npos);
    EXPECT_NE(text.find("ptool_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.0025\"} 0"), std::string::npos);
    EXPECT_NE(text.find("ptool_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.005\"} 1"), std::string::npos);
    EXPECT_NE(text.find("ptool_http_request_duration_seconds_count{route=\"/x\"} 1"), std::string::npos);
    EXPECT_NE(text.find("# TYPE ptool_db_pool_size gauge\nptool_db_pool_size 4"), std::string::npos);
}

TEST(metrics, escapes_label_values) {
    metrics m;
    m.inc("c", "h", {{"route", "a\"b"}});
    EXPECT_NE(m.render().find("c{route=\"a\\\"b\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace ptool::platform
