#pragma once
// Waits without blocking the thread: a timer on the calling coroutine's executor (retry back-off,
// polling a condition). Cancellation of the coroutine ends the wait with operation_aborted.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace ptool::platform {

inline boost::asio::awaitable<void> pause(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
}

}  // namespace ptool::platform
