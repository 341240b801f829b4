#pragma once
// The one clock of the service. Production reads the system clock; with --test-clock an
// offset can be added (POST /api/v1/test/clock). Domain code never reads it: use cases pass
// `now()` down. Thread-safe.

#include <atomic>
#include <chrono>

namespace ptool::platform {

using time_point = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

class clock {
public:
    explicit clock(bool adjustable = false) : adjustable_(adjustable) {}

    time_point now() const {
        auto sys = std::chrono::time_point_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now()
        );
        return sys + std::chrono::microseconds(offset_us_.load(std::memory_order_relaxed));
    }

    bool adjustable() const { return adjustable_; }

    // Moves time forward; returns false (and does nothing) unless the clock is adjustable.
    bool advance(std::chrono::seconds by) {
        if (!adjustable_) {
            return false;
        }
        offset_us_.fetch_add(
            std::chrono::duration_cast<std::chrono::microseconds>(by).count(),
            std::memory_order_relaxed
        );
        return true;
    }

private:
    bool adjustable_;
    std::atomic<long long> offset_us_{0};
};

}  // namespace ptool::platform
