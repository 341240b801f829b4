#pragma once
// Prometheus metrics: counters and latency histograms keyed by label sets, plus gauges
// read at scrape time from callbacks (pool sizes, connections). Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ptool::platform {

class metrics {
public:
    using labels = std::vector<std::pair<std::string, std::string>>;

    // Adds `by` to counter `name{labels}`; `help` is used the first time the family appears.
    void inc(const std::string& name, const std::string& help, const labels& l, double by = 1);

    // Records `seconds` into histogram `name{labels}` with the standard latency buckets.
    void observe(const std::string& name, const std::string& help, const labels& l, double seconds);

    // A gauge whose value is read when /metrics is scraped.
    void gauge(std::string name, std::string help, labels l, std::function<double()> read);

    // The Prometheus text exposition format (version 0.0.4).
    std::string render() const;

private:
    struct histogram {
        std::vector<std::uint64_t> buckets;
        std::uint64_t count = 0;
        double sum = 0;
    };
    struct gauge_entry {
        std::string name, help;
        labels l;
        std::function<double()> read;
    };
    mutable std::mutex mu_;
    std::map<std::string, std::string> help_;                       // family -> help
    std::map<std::string, std::map<std::string, double>> counters_;  // family -> labels -> v
    std::map<std::string, std::map<std::string, histogram>> histograms_;
    std::vector<gauge_entry> gauges_;
};

}  // namespace ptool::platform
