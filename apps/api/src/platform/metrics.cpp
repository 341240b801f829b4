// Hand-rolled Prometheus text rendering: the format is tiny and no Debian-packaged client
// library exists; a mutex per update is negligible next to a request's I/O.

#include "platform/metrics.hpp"

#include <array>
#include <fmt/format.h>

namespace ptool::platform {

namespace {

constexpr std::array<double, 14> bucket_bounds{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

std::string escape(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string render_labels(const metrics::labels& l) {
    std::string out;
    for (const auto& [k, v] : l) {
        out += out.empty() ? "" : ",";
        out += k + "=\"" + escape(v) + "\"";
    }
    return out;
}

std::string with_label(const std::string& labels, const std::string& extra) {
    if (labels.empty()) return "{" + extra + "}";
    return "{" + labels + "," + extra + "}";
}

std::string braces(const std::string& labels) {
    return labels.empty() ? std::string() : "{" + labels + "}";
}

}  // namespace

void metrics::inc(const std::string& name, const std::string& help, const labels& l, double by) {
    auto key = render_labels(l);
    std::lock_guard lock(mu_);
    help_.try_emplace(name, help);
    counters_[name][key] += by;
}

void metrics::observe(
    const std::string& name, const std::string& help, const labels& l, double seconds
) {
    auto key = render_labels(l);
    std::lock_guard lock(mu_);
    help_.try_emplace(name, help);
    auto& h = histograms_[name][key];
    if (h.buckets.empty()) h.buckets.assign(bucket_bounds.size(), 0);
    for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
        if (seconds <= bucket_bounds[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum += seconds;
}

void metrics::gauge(std::string name, std::string help, labels l, std::function<double()> read) {
    std::lock_guard lock(mu_);
    gauges_.push_back({std::move(name), std::move(help), std::move(l), std::move(read)});
}

std::string metrics::render() const {
    std::string out;
    std::lock_guard lock(mu_);
    for (const auto& [name, series] : counters_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help_.at(name), name);
        for (const auto& [l, v] : series) {
            out += fmt::format("{}{} {}\n", name, braces(l), v);
        }
    }
    for (const auto& [name, series] : histograms_) {
        out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help_.at(name), name);
        for (const auto& [l, h] : series) {
            for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
                out += fmt::format(
                    "{}_bucket{} {}\n",
                    name,
                    with_label(l, fmt::format("le=\"{}\"", bucket_bounds[i])),
                    h.buckets[i]
                );
            }
            out += fmt::format("{}_bucket{} {}\n", name, with_label(l, "le=\"+Inf\""), h.count);
            out += fmt::format("{}_sum{} {}\n", name, braces(l), h.sum);
            out += fmt::format("{}_count{} {}\n", name, braces(l), h.count);
        }
    }
    std::string last;
    for (const auto& g : gauges_) {
        if (g.name != last) {
            out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", g.name, g.help, g.name);
            last = g.name;
        }
        out += fmt::format("{}{} {}\n", g.name, braces(render_labels(g.l)), g.read());
    }
    return out;
}

}  // namespace ptool::platform
