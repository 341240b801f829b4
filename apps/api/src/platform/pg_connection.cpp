// Drives libpq's non-blocking API from Asio coroutines: libpq does all reads and writes, Asio only
// reports readiness of a dup() of libpq's socket, and every wait races a deadline timer.
//
// Why a MSG_PEEK receive instead of async_wait(wait_read): Asio's epoll reactor is edge-triggered
// and never tries a wait operation speculatively, so data that arrived before the wait was queued
// (libpq does not always drain the socket) would not wake it. A one-byte MSG_PEEK receive is
// tried speculatively under the reactor's lock, so it completes at once when bytes are pending,
// and it consumes nothing. Write waits have no such operation; they re-check with poll() on a
// short tick, which only costs anything while the kernel send buffer is full.

#include "platform/pg_connection.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace ptool::platform {

namespace asio = boost::asio;

namespace {

using std::chrono::milliseconds;

// How often a write wait re-checks the socket with poll() (see the file comment).
constexpr milliseconds write_recheck{50};

std::string trim(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return std::string(text);
}

std::string libpq_message(const ::PGconn* conn) {
    if (conn == nullptr) {
        return "out of memory";
    }
    std::string text = trim(PQerrorMessage(conn));
    return text.empty() ? std::string("unknown libpq error") : text;
}

using conninfo_pairs = std::vector<std::pair<std::string, std::string>>;

// Only the options given explicitly, so libpq still applies environment defaults (PGHOST…).
std::optional<conninfo_pairs> parse_conninfo(std::string_view conninfo) {
    const std::string text(conninfo);
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(text.c_str(), &error);
    if (options == nullptr) {
        // The message may quote parts of the string, which can include a password: drop it.
        if (error != nullptr) {
            PQfreemem(error);
        }
        return std::nullopt;
    }
    conninfo_pairs pairs;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic): libpq's C array
    for (PQconninfoOption* opt = options; opt->keyword != nullptr; ++opt) {
        if (opt->val != nullptr) {
            pairs.emplace_back(opt->keyword, opt->val);
        }
    }
    PQconninfoFree(options);
    return pairs;
}

const std::string* find_option(const conninfo_pairs& pairs, std::string_view key) {
    for (const auto& [k, v] : pairs) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

// A single host name (not a list, not a socket directory, not an address literal) that libpq
// would otherwise resolve with a blocking getaddrinfo().
bool needs_resolution(const conninfo_pairs& pairs) {
    const std::string* host = find_option(pairs, "host");
    const std::string* hostaddr = find_option(pairs, "hostaddr");
    if (host == nullptr || host->empty() || (hostaddr != nullptr && !hostaddr->empty())) {
        return false;
    }
    if (host->find(',') != std::string::npos || host->front() == '/' || host->front() == '@') {
        return false;
    }
    const std::string* port = find_option(pairs, "port");
    if (port != nullptr && port->find(',') != std::string::npos) {
        return false;
    }
    boost::system::error_code ec;
    asio::ip::make_address(*host, ec);
    return static_cast<bool>(ec);  // not a literal address
}

void set_option(conninfo_pairs& pairs, std::string_view key, std::string value) {
    for (auto& [k, v] : pairs) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    pairs.emplace_back(std::string(key), std::move(value));
}

void log_notice(void* /*arg*/, const char* message) {
    // Server NOTICE/WARNING messages; libpq's default would print them to stderr.
    spdlog::debug("postgres notice: {}", trim(message));
}

bool is_connection_failure(const ::PGconn* conn, const db_error& error) {
    // libpq's own errors (e.g. "server closed the connection unexpectedly") carry no SQLSTATE.
    return error.sqlstate.empty() || is_connection_sqlstate(error.sqlstate) ||
           PQstatus(conn) == CONNECTION_BAD;
}

db_error error_from(const ::PGresult* res) {
    auto field = [res](int code) {
        const char* value = PQresultErrorField(res, code);
        return value == nullptr ? std::string() : std::string(value);
    };
    std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
    if (message.empty()) {
        message = trim(PQresultErrorMessage(res));
    }
    return {
        field(PG_DIAG_SQLSTATE),
        std::move(message),
        field(PG_DIAG_MESSAGE_DETAIL),
        field(PG_DIAG_CONSTRAINT_NAME)};
}

void validate_params(const pg_params& params) {
    if (params.size() > 65535) {
        throw std::invalid_argument("pg_connection: more than 65535 parameters");
    }
    for (const auto& param : params) {
        if (param && param->find('\0') != std::string::npos) {
            // libpq takes C strings; a NUL would silently truncate the value.
            throw std::invalid_argument("pg_connection: text parameter contains a NUL byte");
        }
    }
}

// One command queued in a pipeline: a statement's execution, or the prepare in front of its
// first execution, whose result is dropped.
struct pipeline_step {
    std::size_t statement = 0;  // index into the statements, prelude included
    bool prepare = false;
    bool named = false;  // an execution of a prepared statement
    std::string name;    // of the statement a prepare creates
};

// Pointers into `params`, which must outlive the send.
std::vector<const char*> param_values(const pg_params& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& param : params) {
        values.push_back(param ? param->c_str() : nullptr);
    }
    return values;
}

constexpr std::string_view statement_prefix = "ptool_s";  // names of our prepared statements

// SQLSTATE 26000 naming one of our statements: it was deallocated on the session.
bool is_missing_own_statement(const db_error& error) {
    return error.sqlstate == "26000" &&
           error.message.find(fmt::format("\"{}", statement_prefix)) != std::string::npos;
}

[[noreturn]] void throw_cancelled(boost::system::error_code ec) {
    throw boost::system::system_error(ec ? ec : asio::error::operation_aborted);
}

// Resolves the single host name of `pairs` with Asio (getaddrinfo on Asio's resolver thread) and
// rewrites it as host=name,name… hostaddr=a1,a2…: libpq then tries each address in order, as it
// would have after its own, blocking, lookup.
asio::awaitable<void> resolve_host(
    asio::any_io_executor ex,
    conninfo_pairs& pairs,
    std::chrono::steady_clock::time_point deadline,
    std::string description
) {
    const std::string host = *find_option(pairs, "host");
    asio::ip::tcp::resolver resolver(ex);
    asio::steady_timer timer(ex, deadline);
    auto [order, resolve_ec, endpoints, timer_ec] =
        co_await asio::experimental::make_parallel_group(
            resolver.async_resolve(host, "", asio::deferred), timer.async_wait(asio::deferred)
        )
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    if (order[0] == 1) {
        if (timer_ec) {
            throw_cancelled(timer_ec);
        }
        throw db_unavailable(fmt::format("timed out resolving {} ({})", host, description));
    }
    if (resolve_ec == asio::error::operation_aborted) {
        throw_cancelled(resolve_ec);
    }
    if (resolve_ec) {
        throw db_unavailable(
            fmt::format("cannot resolve {} ({}): {}", host, description, resolve_ec.message())
        );
    }
    std::vector<std::string> addresses;
    for (const auto& entry : endpoints) {
        std::string address = entry.endpoint().address().to_string();
        if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
            addresses.push_back(std::move(address));
        }
    }
    std::string hosts;
    std::string hostaddrs;
    for (const auto& address : addresses) {
        hosts += (hosts.empty() ? "" : ",") + host;
        hostaddrs += (hostaddrs.empty() ? "" : ",") + address;
    }
    set_option(pairs, "host", hosts);
    set_option(pairs, "hostaddr", hostaddrs);
}

}  // namespace

std::string describe_conninfo(std::string_view conninfo) {
    const auto pairs = parse_conninfo(conninfo);
    if (!pairs) {
        return "(unparsable conninfo)";
    }
    std::string out;
    for (const char* key : {"host", "hostaddr", "port", "dbname", "user"}) {
        if (const std::string* value = find_option(*pairs, key)) {
            if (!out.empty()) {
                out += ' ';
            }
            out += fmt::format("{}={}", key, *value);
        }
    }
    return out.empty() ? std::string("(libpq defaults)") : out;
}

pg_connection::pg_connection(asio::any_io_executor ex)
    : ex_(std::move(ex)), socket_(ex_), timer_(ex_) {}

pg_connection::~pg_connection() {
    // Deregister and close our duplicate first; PQfinish then sends Terminate and closes
    // libpq's descriptor, which really closes the socket.
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (conn_ != nullptr) {
        PQfinish(conn_);
    }
}

asio::awaitable<std::unique_ptr<pg_connection>> pg_connection::connect(
    asio::any_io_executor ex, std::string conninfo, std::chrono::milliseconds timeout
) {
    std::unique_ptr<pg_connection> conn(new pg_connection(std::move(ex)));
    co_await conn->start(std::move(conninfo), clock::now() + timeout);
    co_return std::move(conn);
}

asio::awaitable<void> pg_connection::start(std::string conninfo, clock::time_point deadline) {
    description_ = describe_conninfo(conninfo);
    auto pairs = parse_conninfo(conninfo);
    if (!pairs) {
        throw db_unavailable("invalid PostgreSQL connection string");
    }
    if (find_option(*pairs, "client_encoding") == nullptr) {
        set_option(*pairs, "client_encoding", "UTF8");
    }

    if (needs_resolution(*pairs)) {
        co_await resolve_host(ex_, *pairs, deadline, description_);
    }

    std::vector<const char*> keys;
    std::vector<const char*> values;
    for (const auto& [k, v] : *pairs) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);

    conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
    if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
        throw db_unavailable(
            fmt::format("cannot connect to {}: {}", description_, libpq_message(conn_))
        );
    }
    PQsetNoticeProcessor(conn_, &log_notice, nullptr);

    // libpq's protocol: behave as if PQconnectPoll had asked for writability first.
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) {
            throw db_unavailable(
                fmt::format("cannot connect to {}: {}", description_, libpq_message(conn_))
            );
        }
        adopt_socket();  // libpq may open a new socket per address / after an SSL fallback
        const io_outcome outcome = co_await wait_io(
            status == PGRES_POLLING_READING ? io_want::read : io_want::write, deadline
        );
        if (outcome == io_outcome::timed_out) {
            throw db_unavailable(fmt::format("timed out connecting to {}", description_));
        }
        status = PQconnectPoll(conn_);
    }
    if (PQsetnonblocking(conn_, 1) != 0) {
        throw db_unavailable(
            fmt::format("cannot use {} non-blocking: {}", description_, libpq_message(conn_))
        );
    }
    adopt_socket();
}

void pg_connection::adopt_socket() {
    const int fd = PQsocket(conn_);
    struct stat info {};
    if (fd < 0 || ::fstat(fd, &info) != 0) {
        fail("libpq has no usable socket");
    }
    if (socket_.is_open() && fd == libpq_fd_ && info.st_ino == socket_ino_) {
        return;
    }
    boost::system::error_code ec;
    socket_.close(ec);

    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API takes sockaddr*
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
        fail("getsockname on libpq's socket failed");
    }
    const int family = local.ss_family;
    const int protocol = family == AF_UNIX ? 0 : IPPROTO_TCP;

    // A duplicate, so closing Asio's object never closes the descriptor libpq still uses.
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        broken_ = true;
        throw db_unavailable(fmt::format(
            "dup of libpq's socket failed: {}",
            std::error_code(errno, std::generic_category()).message()
        ));
    }
    socket_.assign(asio::generic::stream_protocol(family, protocol), copy, ec);
    if (ec) {
        ::close(copy);
        broken_ = true;
        throw db_unavailable(fmt::format("cannot watch libpq's socket: {}", ec.message()));
    }
    libpq_fd_ = fd;
    socket_ino_ = info.st_ino;
}

asio::awaitable<pg_connection::io_outcome> pg_connection::wait_io(
    io_want want, clock::time_point until
) {
    if (want == io_want::read) {
        return wait_readable(until);
    }
    return wait_writable(want == io_want::read_write, until);
}

asio::awaitable<pg_connection::io_outcome> pg_connection::wait_readable(clock::time_point until) {
    timer_.expires_at(until);
    auto [order, peek_ec, peeked, timer_ec] =
        co_await asio::experimental::make_parallel_group(
            socket_.async_receive(
                asio::buffer(&peek_byte_, 1), asio::socket_base::message_peek, asio::deferred
            ),
            timer_.async_wait(asio::deferred)
        )
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    (void)peeked;
    if (order[0] == 1) {
        if (timer_ec) {
            throw_cancelled(timer_ec);
        }
        co_return io_outcome::timed_out;
    }
    if (peek_ec == asio::error::operation_aborted) {
        throw_cancelled(peek_ec);
    }
    // Data, end of stream or a socket error: PQconsumeInput / PQconnectPoll tells which.
    co_return io_outcome::ready;
}

asio::awaitable<pg_connection::io_outcome> pg_connection::wait_writable(
    bool or_readable, clock::time_point until
) {
    namespace ex = asio::experimental;
    const short events = or_readable ? (POLLOUT | POLLIN) : POLLOUT;
    for (;;) {
        pollfd probe{socket_.native_handle(), events, 0};
        if (::poll(&probe, 1, 0) > 0) {
            co_return io_outcome::ready;  // includes POLLERR / POLLHUP
        }
        const auto now = clock::now();
        if (now >= until) {
            co_return io_outcome::timed_out;
        }
        timer_.expires_at(std::min(until, now + write_recheck));
        boost::system::error_code first_ec;
        if (!or_readable) {
            auto [order, wait_ec, timer_ec] =
                co_await ex::make_parallel_group(
                    socket_.async_wait(asio::socket_base::wait_write, asio::deferred),
                    timer_.async_wait(asio::deferred)
                )
                    .async_wait(ex::wait_for_one(), asio::use_awaitable);
            first_ec = order[0] == 0 ? wait_ec : timer_ec;
        } else {
            // Sending while the server may be waiting for us to read (large pipelines).
            auto [order, wait_ec, peek_ec, peeked, timer_ec] =
                co_await ex::make_parallel_group(
                    socket_.async_wait(asio::socket_base::wait_write, asio::deferred),
                    socket_.async_receive(
                        asio::buffer(&peek_byte_, 1),
                        asio::socket_base::message_peek,
                        asio::deferred
                    ),
                    timer_.async_wait(asio::deferred)
                )
                    .async_wait(ex::wait_for_one(), asio::use_awaitable);
            (void)peeked;
            const std::array<boost::system::error_code, 3> codes{wait_ec, peek_ec, timer_ec};
            first_ec = codes.at(order[0]);
        }
        if (first_ec == asio::error::operation_aborted) {
            throw_cancelled(first_ec);
        }
        // Socket readiness or the re-check tick: loop to confirm with poll().
    }
}

void pg_connection::begin_operation() {
    if (broken()) {
        throw db_unavailable(fmt::format("connection to {} is broken", description_));
    }
    if (PQisBusy(conn_) != 0 || PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
        throw std::logic_error("pg_connection: another operation is in progress");
    }
    deadline_ = clock::now() + operation_timeout_;
}

asio::awaitable<void> pg_connection::wait_for_operation(io_want want) {
    io_outcome outcome = io_outcome::ready;
    try {
        outcome = co_await wait_io(want, deadline_);
    } catch (...) {
        broken_ = true;  // a statement is in flight; its results can no longer be matched
        throw;
    }
    if (outcome == io_outcome::timed_out) {
        broken_ = true;
        throw db_unavailable(
            fmt::format("no answer from {} within {} ms", description_, operation_timeout_.count())
        );
    }
}

asio::awaitable<void> pg_connection::flush_output() {
    for (;;) {
        const int pending = PQflush(conn_);
        if (pending == 0) {
            co_return;
        }
        if (pending < 0) {
            fail("sending to the server failed");
        }
        co_await wait_for_operation(io_want::read_write);
        // If the server is talking, take its output in so it can go on reading ours.
        if (PQconsumeInput(conn_) == 0) {
            fail("receiving from the server failed");
        }
    }
}

asio::awaitable<::PGresult*> pg_connection::next_result() {
    while (PQisBusy(conn_) != 0) {
        co_await wait_for_operation(io_want::read);
        if (PQconsumeInput(conn_) == 0) {
            fail("receiving from the server failed");
        }
    }
    co_return PQgetResult(conn_);
}

const std::string* pg_connection::prepared_name(std::string_view sql) const {
    const auto found = prepared_.find(sql);
    return found == prepared_.end() ? nullptr : &found->second;
}

// Failures to queue are the connection's: parameters were validated and no other operation runs.
void pg_connection::send_unnamed(std::string_view sql, const pg_params& params) {
    const std::string text(sql);
    const std::vector<const char*> values = param_values(params);
    if (PQsendQueryParams(
            conn_,
            text.c_str(),
            static_cast<int>(params.size()),
            nullptr,
            values.data(),
            nullptr,
            nullptr,
            0
        ) == 0) {
        fail("sending a statement failed");
    }
}

void pg_connection::send_prepare(const std::string& name, const pg_statement& stmt) {
    if (PQsendPrepare(
            conn_, name.c_str(), stmt.sql.c_str(), static_cast<int>(stmt.params.size()), nullptr
        ) == 0) {
        fail("sending a prepare failed");
    }
}

void pg_connection::send_prepared(const std::string& name, const pg_params& params) {
    const std::vector<const char*> values = param_values(params);
    if (PQsendQueryPrepared(
            conn_, name.c_str(), static_cast<int>(params.size()), values.data(), nullptr, nullptr, 0
        ) == 0) {
        fail("sending a prepared statement failed");
    }
}

void pg_connection::fail(std::string_view context) {
    broken_ = true;
    throw db_unavailable(fmt::format("{} ({}): {}", context, description_, libpq_message(conn_)));
}

asio::awaitable<pg_result> pg_connection::query(std::string_view sql, pg_params params) {
    const std::string* name = prepared_name(sql);
    const bool to_prepare = name == nullptr && prepared_.size() < max_prepared_statements;
    if (!deferred_.empty() || to_prepare) {
        // Outside pipeline mode libpq queues one command only: prepare + execute + sync is a
        // pipeline, still one round trip.
        const bool own_error_index = deferred_.empty();
        std::vector<pg_statement> one;
        one.push_back({std::string(sql), std::move(params)});
        try {
            auto results = co_await pipeline(std::move(one));
            co_return std::move(results.back());
        } catch (db_error& e) {
            if (own_error_index && e.statement_index == 0) {
                e.statement_index = -1;  // query() errors carry no pipeline position
            }
            throw;
        }
    }
    validate_params(params);
    begin_operation();
    if (name != nullptr) {
        send_prepared(*name, params);
    } else {
        send_unnamed(sql, params);  // the cache is full
    }
    co_await flush_output();

    pg_result outcome;
    std::optional<db_error> error;
    for (;;) {
        ::PGresult* raw = co_await next_result();
        if (raw == nullptr) {
            break;
        }
        pg_result res(raw);
        switch (PQresultStatus(raw)) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY:
                outcome = std::move(res);
                break;
            case PGRES_FATAL_ERROR:
                if (!error) {
                    error = error_from(raw);
                }
                break;
            default:
                // COPY and friends are not supported; the session is now in a state we cannot
                // leave cleanly.
                broken_ = true;
                throw db_unavailable(fmt::format(
                    "unsupported result status {} from {}",
                    PQresStatus(PQresultStatus(raw)),
                    description_
                ));
        }
    }
    if (error) {
        if (is_connection_failure(conn_, *error)) {
            broken_ = true;
            throw db_unavailable(
                fmt::format("connection to {} lost: {}", description_, error->message)
            );
        }
        if (name != nullptr && is_missing_own_statement(*error)) {
            prepared_.clear();  // someone deallocated behind our back: prepare afresh next time
        }
        // NOLINTNEXTLINE(cert-err60-cpp): db_error's string fields are part of its interface
        throw db_error(std::move(*error));
    }
    co_return outcome;
}

asio::awaitable<std::vector<pg_result>> pg_connection::pipeline(std::vector<pg_statement> stmts) {
    std::vector<pg_result> results;
    if (stmts.empty()) {
        co_return results;
    }
    // The deferred prelude goes first; its results are dropped below.
    const std::size_t prelude = deferred_.size();
    if (prelude > 0) {
        stmts.insert(
            stmts.begin(),
            std::make_move_iterator(deferred_.begin()),
            std::make_move_iterator(deferred_.end())
        );
        deferred_.clear();
    }
    for (const auto& stmt : stmts) {
        validate_params(stmt.params);
    }
    begin_operation();
    if (PQenterPipelineMode(conn_) == 0) {
        fail("entering pipeline mode failed");
    }
    // A statement not prepared yet is prepared in front of its first execution, in the same
    // pipeline; a repeat inside this pipeline reuses that prepare.
    std::vector<pipeline_step> steps;
    steps.reserve(stmts.size() * 2);
    std::unordered_map<std::string_view, std::string> fresh;  // SQL → name prepared just now
    for (std::size_t i = 0; i < stmts.size(); ++i) {
        const pg_statement& stmt = stmts[i];
        const std::string* name = prepared_name(stmt.sql);
        if (name == nullptr) {
            if (const auto found = fresh.find(stmt.sql); found != fresh.end()) {
                name = &found->second;
            } else if (prepared_.size() + fresh.size() < max_prepared_statements) {
                std::string new_name = fmt::format("{}{}", statement_prefix, ++statements_named_);
                send_prepare(new_name, stmt);
                steps.push_back({i, true, false, new_name});
                name = &fresh.emplace(stmt.sql, std::move(new_name)).first->second;
            }
        }
        if (name != nullptr) {
            send_prepared(*name, stmt.params);
        } else {
            send_unnamed(stmt.sql, stmt.params);
        }
        steps.push_back({i, false, name != nullptr, {}});
    }
    if (PQpipelineSync(conn_) == 0) {
        fail("sending the pipeline sync failed");
    }
    co_await flush_output();

    // Per command: one result, then nullptr. After a failure the server skips to the sync and
    // libpq reports PGRES_PIPELINE_ABORTED for each skipped command. Finally PIPELINE_SYNC.
    results.reserve(stmts.size());
    std::optional<db_error> error;
    bool missing_statement = false;
    std::size_t step = 0;
    for (bool synced = false; !synced;) {
        ::PGresult* raw = co_await next_result();
        if (raw == nullptr) {
            if (PQstatus(conn_) == CONNECTION_BAD) {
                fail("connection lost during a pipeline");
            }
            if (++step > steps.size()) {
                fail("unexpected end of pipeline results");
            }
            continue;
        }
        pg_result res(raw);
        const ExecStatusType status = PQresultStatus(raw);
        if (status != PGRES_PIPELINE_SYNC && step >= steps.size()) {
            fail("unexpected pipeline result after the last statement");
        }
        switch (status) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY:
                if (const pipeline_step& current = steps[step]; current.prepare) {
                    // Cached only now: a prepare that failed or was skipped left no statement.
                    prepared_.emplace(stmts[current.statement].sql, current.name);
                } else {
                    results.push_back(std::move(res));
                }
                break;
            case PGRES_FATAL_ERROR:
                if (!error) {
                    // An error in a prepare belongs to the statement it was preparing.
                    error = error_from(raw);
                    error->statement_index =
                        static_cast<int>(steps[step].statement) - static_cast<int>(prelude);
                    missing_statement = steps[step].named && is_missing_own_statement(*error);
                }
                break;
            case PGRES_PIPELINE_ABORTED:
                break;
            case PGRES_PIPELINE_SYNC:
                synced = true;
                break;
            default:
                broken_ = true;
                throw db_unavailable(fmt::format(
                    "unsupported result status {} in a pipeline to {}",
                    PQresStatus(status),
                    description_
                ));
        }
    }
    if (error && is_connection_failure(conn_, *error)) {
        broken_ = true;
        throw db_unavailable(fmt::format("connection to {} lost: {}", description_, error->message)
        );
    }
    if (PQexitPipelineMode(conn_) == 0) {
        fail("leaving pipeline mode failed");
    }
    if (missing_statement) {
        prepared_.clear();  // someone deallocated behind our back: prepare afresh next time
    }
    if (error) {
        // NOLINTNEXTLINE(cert-err60-cpp): db_error's string fields are part of its interface
        throw db_error(std::move(*error));
    }
    if (results.size() != stmts.size()) {
        broken_ = true;
        throw db_unavailable(fmt::format(
            "pipeline to {} returned {} results for {} statements",
            description_,
            results.size(),
            stmts.size()
        ));
    }
    results.erase(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(prelude));
    co_return results;
}

asio::awaitable<std::optional<pg_notification>> pg_connection::wait_notification(
    std::chrono::milliseconds timeout
) {
    if (broken()) {
        throw db_unavailable(fmt::format("connection to {} is broken", description_));
    }
    if (PQisBusy(conn_) != 0 || PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
        throw std::logic_error("pg_connection: another operation is in progress");
    }
    const auto until = clock::now() + timeout;
    for (;;) {
        if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) {
            fail("waiting for notifications failed");
        }
        if (PGnotify* note = PQnotifies(conn_)) {
            pg_notification out{note->relname, note->extra, note->be_pid};
            PQfreemem(note);
            co_return out;
        }
        // Nothing is in flight, so a cancelled or timed-out wait leaves the connection usable.
        if (co_await wait_io(io_want::read, until) == io_outcome::timed_out) {
            co_return std::nullopt;
        }
    }
}

bool pg_connection::broken() const {
    return broken_ || conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD;
}

bool pg_connection::in_transaction() const {
    return broken() || PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

int pg_connection::backend_pid() const { return conn_ == nullptr ? 0 : PQbackendPID(conn_); }

bool pg_connection::in_pipeline_mode() const {
    return conn_ != nullptr && PQpipelineStatus(conn_) != PQ_PIPELINE_OFF;
}

}  // namespace ptool::platform
