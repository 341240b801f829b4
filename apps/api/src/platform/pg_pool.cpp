// Bounded, thread-safe PostgreSQL connection pool. Bookkeeping lives under one mutex; waiting
// acquirers sleep on a per-waiter concurrent_channel raced against a timer.
//
// Lost wake-ups are impossible because the hand-off is state, not a signal: a releaser moves the
// connection (or a connect slot) into the front waiter's `granted` under the mutex and then pokes
// its channel; a channel holds one token, so a poke sent before the waiter sleeps is not lost, and
// a waiter that wakes for any reason re-reads its state under the mutex.

#include "platform/pg_pool.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cassert>
#include <stdexcept>
#include <utility>

namespace ptool::platform {

namespace asio = boost::asio;

using std::chrono::milliseconds;

struct pg_pool::waiter {
    explicit waiter(const asio::any_io_executor& ex) : wakeup(ex, 1), timer(ex) {}

    asio::experimental::concurrent_channel<void(boost::system::error_code)> wakeup;
    asio::steady_timer timer;  // used only by the waiting coroutine
    // Guarded by pg_pool::mu_.
    bool queued = false;
    grant granted;
};

// Work decided under the mutex but done after it is released: waking waiters and closing
// connections. Declare before the lock so it runs after the unlock.
struct pg_pool::effects {
    effects() = default;
    effects(const effects&) = delete;
    effects& operator=(const effects&) = delete;
    effects(effects&&) = delete;
    effects& operator=(effects&&) = delete;
    ~effects() {
        for (const auto& w : wake) {
            w->wakeup.try_send(boost::system::error_code{});  // full channel: already poked
        }
    }

    std::vector<std::shared_ptr<waiter>> wake;
    std::vector<std::unique_ptr<pg_connection>> doomed;  // destroyed after `wake` is sent
};

pooled_connection& pooled_connection::operator=(pooled_connection&& other) noexcept {
    if (this != &other) {
        reset();
        pool_ = other.pool_;
        conn_ = std::move(other.conn_);
    }
    return *this;
}

void pooled_connection::reset() noexcept {
    if (conn_ != nullptr && pool_ != nullptr) {
        pool_->release(std::move(conn_));
    }
    conn_.reset();
}

pg_pool::pg_pool(asio::any_io_executor ex, options opts)
    : ex_(std::move(ex)), opts_(std::move(opts)), description_(describe_conninfo(opts_.conninfo)) {
    if (opts_.max_size == 0) {
        throw std::invalid_argument("pg_pool: max_size must be at least 1");
    }
}

pg_pool::~pg_pool() {
    close();
    assert(in_use_ == 0 && "pg_pool destroyed while connections are still held");
}

pool_stats pg_pool::stats() const {
    std::lock_guard lock(mu_);
    return pool_stats{
        opts_.max_size, size_, idle_.size(), in_use_, waiters_.size(), connect_failures_};
}

void pg_pool::close() {
    effects fx;
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& entry : idle_) {
        fx.doomed.push_back(std::move(entry.conn));
    }
    size_ -= idle_.size();
    idle_.clear();
    for (auto& w : waiters_) {
        w->queued = false;
        fx.wake.push_back(w);  // it sees closed_ and throws
    }
    waiters_.clear();
}

bool pg_pool::can_connect_locked(clock::time_point now) const {
    if (closed_ || size_ >= opts_.max_size) {
        return false;
    }
    return failures_ == 0 || (!probing_ && now >= retry_at_);
}

pg_pool::grant pg_pool::take_locked(clock::time_point now) {
    grant g;
    if (!idle_.empty()) {
        g.conn = std::move(idle_.back().conn);
        g.idle_since = idle_.back().since;
        idle_.pop_back();
        ++in_use_;
    } else if (can_connect_locked(now)) {
        ++size_;
        ++in_use_;
        g.slot = true;
        g.probe = failures_ > 0;
        probing_ = probing_ || g.probe;
    }
    return g;
}

void pg_pool::dispatch_locked(clock::time_point now, effects& fx) {
    while (!closed_ && !waiters_.empty()) {
        grant g = take_locked(now);
        if (!g) {
            return;
        }
        std::shared_ptr<waiter> w = std::move(waiters_.front());
        waiters_.pop_front();
        w->queued = false;
        w->granted = std::move(g);
        fx.wake.push_back(std::move(w));
    }
}

void pg_pool::return_grant_locked(grant g, effects& fx) {
    if (g.slot) {
        --size_;
        --in_use_;
        if (g.probe) {
            probing_ = false;
        }
    } else if (g.conn != nullptr) {
        if (closed_ || g.conn->in_transaction()) {  // in_transaction() includes broken()
            drop_locked(std::move(g.conn), fx);
            return;
        }
        --in_use_;
        idle_.push_back({std::move(g.conn), g.idle_since});
    }
    dispatch_locked(clock::now(), fx);
}

void pg_pool::drop_locked(std::unique_ptr<pg_connection> conn, effects& fx) {
    --in_use_;
    --size_;
    fx.doomed.push_back(std::move(conn));
    dispatch_locked(clock::now(), fx);  // the freed slot may let a waiter connect
}

void pg_pool::abandon_locked(waiter& w, effects& fx) {
    if (w.queued) {
        const auto it = std::find_if(waiters_.begin(), waiters_.end(), [&w](const auto& p) {
            return p.get() == &w;
        });
        if (it != waiters_.end()) {
            waiters_.erase(it);
        }
        w.queued = false;
    }
    if (w.granted) {
        return_grant_locked(std::move(w.granted), fx);
        w.granted = grant{};
    }
}

std::string pg_pool::timeout_message_locked() const {
    if (!last_error_.empty()) {
        return fmt::format(
            "no PostgreSQL connection within {} ms; last connect error: {}",
            opts_.acquire_timeout.count(),
            last_error_
        );
    }
    return fmt::format(
        "no PostgreSQL connection within {} ms ({} of {} in use, {} waiting) to {}",
        opts_.acquire_timeout.count(),
        in_use_,
        opts_.max_size,
        waiters_.size(),
        description_
    );
}

void pg_pool::release(std::unique_ptr<pg_connection> conn) noexcept {
    conn->clear_deferred();  // a deferred BEGIN must never reach the next holder
    const bool leaked_transaction = !conn->broken() && conn->in_transaction();
    const bool broken = conn->broken();
    {
        effects fx;
        std::lock_guard lock(mu_);
        --in_use_;
        if (closed_ || broken || leaked_transaction) {
            --size_;
            fx.doomed.push_back(std::move(conn));
        } else {
            idle_.push_back({std::move(conn), clock::now()});
        }
        dispatch_locked(clock::now(), fx);
    }
    if (leaked_transaction) {
        spdlog::warn("closing a PostgreSQL connection returned inside a transaction");
    } else if (broken) {
        spdlog::info("dropping a broken PostgreSQL connection to {}", description_);
    }
}

asio::awaitable<void> pg_pool::wait_for_grant(std::shared_ptr<waiter> w, clock::time_point until) {
    w->timer.expires_at(until);
    auto [order, wake_ec, timer_ec] =
        co_await asio::experimental::make_parallel_group(
            w->wakeup.async_receive(asio::deferred), w->timer.async_wait(asio::deferred)
        )
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    const boost::system::error_code first_ec = order[0] == 0 ? wake_ec : timer_ec;
    if (first_ec) {
        // The awaiting coroutine was cancelled; acquire()'s guard leaves the queue.
        throw boost::system::system_error(asio::error::operation_aborted);
    }
}

asio::awaitable<pg_pool::connect_outcome> pg_pool::connect_once(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
    const auto budget =
        std::clamp(left, milliseconds{1}, std::max(opts_.connect_timeout, milliseconds{1}));
    connect_outcome out;
    try {
        out.conn = co_await pg_connection::connect(ex_, opts_.conninfo, budget);
        out.conn->set_operation_timeout(opts_.operation_timeout);
        for (const auto& sql : opts_.session_setup) co_await out.conn->query(sql);
    } catch (const db_unavailable& e) {
        out.conn.reset();
        out.error = e.what();
    } catch (const db_error& e) {
        out.conn.reset();
        out.error = e.what();
    }
    co_return out;
}

asio::awaitable<bool> pg_pool::is_alive(pg_connection& conn, clock::time_point deadline) {
    const auto saved = conn.operation_timeout();
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
    conn.set_operation_timeout(
        std::clamp(left, milliseconds{1}, std::max(opts_.connect_timeout, milliseconds{1}))
    );
    bool alive = true;
    try {
        co_await conn.query("SELECT 1");
    } catch (const db_unavailable&) {
        alive = false;
    } catch (const db_error&) {
        alive = false;
    }
    conn.set_operation_timeout(saved);
    co_return alive;
}

// Undoes acquire()'s partial work when it leaves by an exception (timeout, close, cancellation):
// leaves the queue and hands back a granted connection or connect slot.
struct pg_pool::acquire_guard {
    explicit acquire_guard(pg_pool& owner) : pool(owner) {}
    acquire_guard(const acquire_guard&) = delete;
    acquire_guard& operator=(const acquire_guard&) = delete;
    acquire_guard(acquire_guard&&) = delete;
    acquire_guard& operator=(acquire_guard&&) = delete;
    ~acquire_guard() {
        if (self || got) {  // self's fields are guarded by the mutex: look only under it
            effects fx;
            std::lock_guard lock(pool.mu_);
            if (self) {
                pool.abandon_locked(*self, fx);
            }
            if (got) {
                pool.return_grant_locked(std::move(got), fx);
            }
        }
    }

    pg_pool& pool;
    std::shared_ptr<waiter> self;
    grant got;
};

pg_pool::clock::time_point pg_pool::take_or_queue(
    acquire_guard& state, clock::time_point deadline
) {
    effects fx;
    std::lock_guard lock(mu_);
    const auto now = clock::now();
    if (closed_) {
        throw db_unavailable("PostgreSQL pool is closed");
    }
    if (state.self && state.self->granted) {
        state.got = std::exchange(state.self->granted, grant{});
        return now;
    }
    if ((!state.self || !state.self->queued) && waiters_.empty()) {
        state.got = take_locked(now);  // nobody is ahead of us
        if (state.got) {
            return now;
        }
    }
    if (now >= deadline) {
        throw db_unavailable(timeout_message_locked());
    }
    if (!state.self) {
        state.self = std::make_shared<waiter>(ex_);
    }
    if (!state.self->queued) {
        waiters_.push_back(state.self);
        state.self->queued = true;
    }
    dispatch_locked(now, fx);  // serve the queue in order; we may be its head
    if (state.self->granted) {
        // fx still pokes our channel; a later wait just wakes early once.
        state.got = std::exchange(state.self->granted, grant{});
        return now;
    }
    if (failures_ > 0 && !probing_ && size_ < opts_.max_size) {
        return std::min(deadline, retry_at_);  // then a probe may start
    }
    return deadline;  // a release, a drop or a finished connect wakes us earlier
}

bool pg_pool::settle_connect(acquire_guard& state, connect_outcome& outcome) {
    milliseconds retry_in{0};
    int failures = 0;
    {
        effects fx;
        std::lock_guard lock(mu_);
        if (state.got.probe) {
            probing_ = false;
            state.got.probe = false;
        }
        if (outcome.conn != nullptr) {
            failures_ = 0;
            last_error_.clear();
            state.got = grant{};  // the slot is now this connection
            if (closed_) {
                drop_locked(std::move(outcome.conn), fx);
                throw db_unavailable("PostgreSQL pool is closed");
            }
            dispatch_locked(clock::now(), fx);  // after a successful probe others may connect
            return true;
        }
        ++connect_failures_;
        failures = ++failures_;
        retry_in =
            jittered_backoff(failures_, opts_.reconnect_backoff_base, opts_.reconnect_backoff_cap);
        retry_at_ = clock::now() + retry_in;
        last_error_ = outcome.error;
        return_grant_locked(std::exchange(state.got, grant{}), fx);
        // Every waiter re-reads the state: its timer must now also cover retry_at_.
        for (const auto& w : waiters_) {
            fx.wake.push_back(w);
        }
    }
    spdlog::warn(
        "PostgreSQL connect failed ({} in a row), next attempt in {} ms: {}",
        failures,
        retry_in.count(),
        outcome.error
    );
    return false;
}

void pg_pool::discard(std::unique_ptr<pg_connection> conn) {
    effects fx;
    std::lock_guard lock(mu_);
    drop_locked(std::move(conn), fx);
}

asio::awaitable<pooled_connection> pg_pool::acquire() {
    const auto deadline = clock::now() + opts_.acquire_timeout;
    acquire_guard state(*this);  // undoes queueing and grants if we leave by an exception
    for (;;) {
        const clock::time_point wake_at = take_or_queue(state, deadline);
        if (!state.got) {
            co_await wait_for_grant(state.self, wake_at);
            continue;
        }
        if (state.got.conn != nullptr) {
            bool alive = true;
            if (clock::now() - state.got.idle_since >= opts_.idle_check_after) {
                alive = co_await is_alive(*state.got.conn, deadline);
            }
            if (alive) {
                co_return pooled_connection(*this, std::exchange(state.got, grant{}).conn);
            }
            discard(std::exchange(state.got, grant{}).conn);
            continue;
        }
        connect_outcome outcome = co_await connect_once(deadline);
        if (settle_connect(state, outcome)) {
            co_return pooled_connection(*this, std::move(outcome.conn));
        }
        // The failure is recorded; loop to wait out the backoff or the deadline.
    }
}

asio::awaitable<bool> pg_pool::ping() {
    try {
        pooled_connection conn = co_await acquire();
        co_await conn->query("SELECT 1");
        co_return true;
    } catch (const db_unavailable&) {
    } catch (const db_error&) {
    }
    co_return false;
}

}  // namespace ptool::platform
