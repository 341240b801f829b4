// The Redis cache: a small Asio adapter drives hiredis's async contexts from one strand, commands
// are awaited with a deadline, and a manager coroutine (re)connects with back-off.
//
// Keys (P = options::prefix; epoch and version are decimal counters, absent = "0"):
//   P "epoch"                                       INCR after a failure, before serving again
//   P "v:" scope                                    INCR per invalidation of the scope
//   P "c:" scope ":" key                            an entry: stamp "\n" value, SET ... EX ttl
//   stamp = epoch ":" version                       as the lookup read them
// A lookup is one MGET of (epoch, version, entry); the entry is a hit only when the stamp it was
// filed with equals the epoch and version read now, so a value computed before an invalidation
// (or before a failure bumped the epoch) is never served. A plain MGET instead of a Lua script:
// Lua copies the value (tens of KiB for a schedule) in and out, 70 µs per hit in
// bench/availability.
//
// States (all on `strand`): down --(back-off)--> connecting --(AUTH, SELECT, INCR epoch if
// needed, else PING)--> up --(timeout, error reply, lost connection)--> down. Only `up` serves.
// Each connection has a generation: late notifications about an older one are ignored.

#include "platform/redis_cache.hpp"

#include <fmt/format.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "platform/log.hpp"

namespace ptool::platform {

namespace asio = boost::asio;

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;
using executor = asio::any_io_executor;

// A connect (resolve, TCP, AUTH/SELECT/INCR) may take longer than one command: a cold TCP
// handshake to another host, or a server finishing a slow command first. Lookups never wait
// for it (they miss while not connected), so a generous bound costs nothing.
constexpr milliseconds min_connect_timeout{1000};

// Bumps every scope version given as KEYS, atomically and in one round trip.
constexpr std::string_view invalidate_script = R"lua(
for i = 1, #KEYS do redis.call('INCR', KEYS[i]) end
return #KEYS
)lua";

constexpr const char* requests_metric = "ptool_cache_requests_total";
constexpr const char* requests_help =
    "Cache lookups by result (error: Redis unusable or failing, answered as a miss).";
constexpr const char* invalidations_metric = "ptool_cache_invalidations_total";
constexpr const char* invalidations_help = "Cache invalidations by result.";

// ---- configuration --------------------------------------------------------------------------

struct redis_target {
    std::string host;  // name or address literal (IPv6 without brackets)
    std::uint16_t port = 6379;
    std::string user;                     // AUTH user password (Redis 6 ACL) when not empty
    std::optional<std::string> password;  // AUTH when set
    std::optional<std::string> db;        // SELECT when set

    // For logs: never the password.
    [[nodiscard]] std::string where() const {
        const bool v6 = host.find(':') != std::string::npos;
        return fmt::format(
            "{}{}{}:{}{}", v6 ? "[" : "", host, v6 ? "]" : "", port, db ? "/" + *db : std::string()
        );
    }
};

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// redis://[[user]:password@]host[:port][/db]. Messages never quote the URL (it may hold a
// password).
redis_target parse_redis_url(std::string_view url) {
    auto bad = [](std::string_view why) {
        return std::invalid_argument(fmt::format(
            "invalid Redis URL ({}); expected redis://[:password@]host[:port][/db]", why
        ));
    };
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
        throw bad("not a URI");
    }
    const boost::urls::url_view& u = *parsed;
    std::string scheme(u.scheme());
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    if (scheme != "redis") {
        throw bad("the scheme must be redis; TLS (rediss) is not supported");
    }
    if (!u.has_authority() || u.encoded_host().empty()) {
        throw bad("no host");
    }
    if (u.has_query() || u.has_fragment()) {
        throw bad("query and fragment are not supported");
    }
    redis_target t;
    t.host = u.host_address();
    if (u.has_port() && !u.port().empty()) {
        // port_number() wraps out-of-range values (99999 -> 34463) in Boost 1.81.
        const std::string_view port = u.port();
        if (port.size() > 5 || !all_digits(port) || std::stoul(std::string(port)) == 0 ||
            std::stoul(std::string(port)) > 65535) {
            throw bad("bad port");
        }
        t.port = static_cast<std::uint16_t>(std::stoul(std::string(port)));
    }
    if (u.has_password()) {
        t.user = u.user();
        t.password = u.password();
    } else if (u.has_userinfo() && !u.encoded_user().empty()) {
        throw bad("a user without a password");
    }
    std::string path = u.path();
    if (!path.empty() && path != "/") {
        if (!all_digits(std::string_view(path).substr(1))) {
            throw bad("the path must be a database number");
        }
        t.db = path.substr(1);
    }
    return t;
}

bool is_address_literal(const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

// ---- replies --------------------------------------------------------------------------------

// A copy of a redisReply (hiredis frees its own when the callback returns).
struct reply {
    enum class kind { none, string, status, error, integer, nil, array };
    kind type = kind::none;  // none: no reply (the connection went away first)
    std::string str;
    long long integer = 0;
    std::vector<reply> elements;
};

// Recursive for arrays: depth is bounded by what our scripts return (two levels).
reply copy_reply(const redisReply* r) {  // NOLINT(misc-no-recursion)
    reply out;
    if (r == nullptr) {
        return out;
    }
    switch (r->type) {
        case REDIS_REPLY_STRING:
            out.type = reply::kind::string;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = reply::kind::status;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = reply::kind::error;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_INTEGER:
            out.type = reply::kind::integer;
            out.integer = r->integer;
            break;
        case REDIS_REPLY_NIL:
            out.type = reply::kind::nil;
            break;
        case REDIS_REPLY_ARRAY:
            out.type = reply::kind::array;
            out.elements.reserve(r->elements);
            for (std::size_t i = 0; i < r->elements; ++i) {
                // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic): hiredis's array
                out.elements.push_back(copy_reply(r->element[i]));
            }
            break;
        default:
            out.type = reply::kind::error;
            out.str = fmt::format("unexpected reply type {}", r->type);
            break;
    }
    return out;
}

// ---- the hiredis <-> Asio adapter -------------------------------------------------------------

enum direction : std::size_t { read_dir = 0, write_dir = 1 };

// One redisAsyncContext, driven from `ex` (a strand): hiredis asks for read/write readiness
// through ev.addRead & co., a stream_descriptor on hiredis's socket waits for it and calls
// redisAsyncHandleRead/Write. hiredis owns and closes the socket: the descriptor is release()d,
// never closed. hiredis frees the context on its own after an I/O or protocol error (then
// ev.cleanup runs and `on_lost` is posted) or in close(); context() is null from then on.
//
// Readiness waits are re-armed while hiredis wants them. Asio's reactor re-registers the
// descriptor (EPOLL_CTL_MOD) when a wait is queued on an idle descriptor, which re-reports
// current readiness, so bytes left in the socket after hiredis's one 16 KiB read() still wake
// the next wait.
//
// Every member runs on `ex`; close() must not be called from inside a hiredis callback (none of
// ours does: callbacks only record, post and cancel timers).
class hiredis_connection : public std::enable_shared_from_this<hiredis_connection> {
public:
    using lost_handler = std::function<void(std::uint64_t generation, std::string reason)>;

    hiredis_connection(const executor& ex, std::uint64_t generation, lost_handler on_lost)
        : ex_(ex), sd_(ex), generation_(generation), on_lost_(std::move(on_lost)) {}
    ~hiredis_connection() { close(); }
    hiredis_connection(const hiredis_connection&) = delete;
    hiredis_connection& operator=(const hiredis_connection&) = delete;
    hiredis_connection(hiredis_connection&&) = delete;
    hiredis_connection& operator=(hiredis_connection&&) = delete;

    // Starts a non-blocking connect to an address literal; false (see error()) if it failed at
    // once. Commands may be issued right away: hiredis buffers them until connected.
    bool open(const std::string& address, std::uint16_t port) {
        redisAsyncContext* ac = redisAsyncConnect(address.c_str(), port);
        if (ac == nullptr) {
            error_ = "out of memory";
            return false;
        }
        if (ac->c.err != 0) {
            error_ = error_text(ac);
            redisAsyncFree(ac);
            return false;
        }
        boost::system::error_code ec;
        sd_.assign(ac->c.fd, ec);
        if (ec) {
            error_ = "cannot watch the socket: " + ec.message();
            redisAsyncFree(ac);
            return false;
        }
        ac_ = ac;
        ac->data = this;
        ac->ev.data = this;
        ac->ev.addRead = [](void* p) noexcept { guarded([p] { self(p)->want(read_dir, true); }); };
        ac->ev.delRead = [](void* p) noexcept { guarded([p] { self(p)->want(read_dir, false); }); };
        ac->ev.addWrite = [](void* p) noexcept {
            guarded([p] { self(p)->want(write_dir, true); });
        };
        ac->ev.delWrite = [](void* p) noexcept {
            guarded([p] { self(p)->want(write_dir, false); });
        };
        ac->ev.cleanup = [](void* p) noexcept { guarded([p] { self(p)->cleanup(); }); };
        // After the hooks: this arms the first write wait, whose readiness means "connected".
        redisAsyncSetConnectCallback(ac, &on_connect);
        redisAsyncSetDisconnectCallback(ac, &on_disconnect);
        return true;
    }

    redisAsyncContext* context() const { return ac_; }
    std::uint64_t generation() const { return generation_; }
    const executor& get_executor() const { return ex_; }
    std::string error() const { return error_.empty() ? std::string("connection lost") : error_; }

    // Frees the context now: pending reply callbacks run with a NULL reply. No `on_lost`.
    void close() {
        if (ac_ == nullptr) {
            return;
        }
        closing_ = true;
        redisAsyncFree(ac_);  // runs cleanup(), which clears ac_
    }

private:
    static hiredis_connection* self(void* p) { return static_cast<hiredis_connection*>(p); }

    static std::string error_text(const redisAsyncContext* ac) {
        return static_cast<const char*>(ac->c.errstr);
    }

    // hiredis calls us from C: nothing may propagate. The only possible exception is
    // bad_alloc; swallowing it leaves at worst a command without its wait, which its deadline
    // turns into a connection failure, or a lost `on_lost`, which usable() makes up for.
    template <typename F>
    static void guarded(F f) noexcept {
        try {
            f();
        } catch (...) {  // NOLINT(bugprone-empty-catch): see above
        }
    }

    void note_error(const redisAsyncContext* ac) {
        if (ac->c.err != 0) {
            error_ = error_text(ac);
        }
    }

    static void on_connect(const redisAsyncContext* ac, int status) noexcept {
        if (status != REDIS_OK) {
            guarded([ac] { self(ac->data)->note_error(ac); });  // hiredis frees it right after
        }
    }

    static void on_disconnect(const redisAsyncContext* ac, int status) noexcept {
        if (status != REDIS_OK) {
            guarded([ac] { self(ac->data)->note_error(ac); });
        }
    }

    void want(direction d, bool on) {
        wanted_.at(d) = on;
        arm(d);
    }

    void arm(direction d) {
        if (ac_ == nullptr || waiting_.at(d) || !wanted_.at(d)) {
            return;
        }
        waiting_.at(d) = true;
        sd_.async_wait(
            d == read_dir ? asio::posix::descriptor_base::wait_read
                          : asio::posix::descriptor_base::wait_write,
            [keep = shared_from_this(), d](boost::system::error_code ec) { keep->on_ready(d, ec); }
        );
    }

    void on_ready(direction d, boost::system::error_code ec) {
        waiting_.at(d) = false;
        // Aborted: released in cleanup(). Other errors are left to hiredis's read()/write().
        if (ec == asio::error::operation_aborted || ac_ == nullptr || !wanted_.at(d)) {
            return;
        }
        if (d == read_dir) {
            redisAsyncHandleRead(ac_);
        } else {
            redisAsyncHandleWrite(ac_);
        }
        // hiredis may have freed the context (ac_ is null then). While connect(2) is in progress
        // it returns without re-adding the write interest it still has, hence the re-arm here.
        arm(d);
    }

    // hiredis is freeing the context (on its own or in close()).
    void cleanup() {
        if (ac_ != nullptr) {
            note_error(ac_);
        }
        ac_ = nullptr;
        wanted_ = {};
        if (sd_.is_open()) {
            // Pending waits complete with operation_aborted; hiredis closes the socket itself.
            (void)sd_.release();
        }
        if (!closing_ && on_lost_) {
            asio::post(ex_, [f = on_lost_, g = generation_, e = error()] { f(g, e); });
        }
    }

    executor ex_;
    asio::posix::stream_descriptor sd_;
    redisAsyncContext* ac_ = nullptr;
    std::uint64_t generation_ = 0;
    lost_handler on_lost_;
    std::string error_;
    std::array<bool, 2> wanted_{};
    std::array<bool, 2> waiting_{};
    bool closing_ = false;
};

// ---- commands -------------------------------------------------------------------------------

// The reply callback's target. Owned jointly by the awaiting coroutine and, through `privdata`,
// by hiredis, which calls the callback exactly once for an accepted command (with NULL when
// the context is freed first): a reply after a timeout or a cancellation lands here harmlessly.
struct pending_command {
    explicit pending_command(const executor& ex) : event(ex) {}
    asio::steady_timer event;  // the deadline; cancelled to wake the coroutine on a reply
    bool answered = false;
    reply answer;
};

void on_reply(redisAsyncContext* /*ac*/, void* r, void* privdata) noexcept {
    std::unique_ptr<std::shared_ptr<pending_command>> holder(
        static_cast<std::shared_ptr<pending_command>*>(privdata)
    );
    pending_command& p = **holder;
    p.answered = true;
    try {
        p.answer = copy_reply(static_cast<const redisReply*>(r));
    } catch (...) {  // bad_alloc: report "no reply", which fails the connection
        p.answer = reply{};
    }
    p.event.cancel();
}

enum class exec_status { answered, lost, timed_out, cancelled };

struct exec_result {
    exec_status status = exec_status::lost;
    reply answer;
};

// Sends one command and awaits its reply until `deadline`. Never throws for Redis problems;
// a cancellation of the awaiting coroutine returns `cancelled` (the command stays queued and
// its reply is dropped).
asio::awaitable<exec_result> exec(
    std::shared_ptr<hiredis_connection> conn,
    std::vector<std::string> args,
    clock_type::time_point deadline
) {
    exec_result out;
    redisAsyncContext* ac = conn->context();
    if (ac == nullptr) {
        co_return out;
    }
    auto p = std::make_shared<pending_command>(conn->get_executor());
    p->event.expires_at(deadline);
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    auto holder = std::make_unique<std::shared_ptr<pending_command>>(p);
    if (redisAsyncCommandArgv(
            ac, &on_reply, holder.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()
        ) != REDIS_OK) {
        co_return out;  // the context is closing; hiredis did not take `holder`
    }
    (void)holder.release();  // now hiredis's, until on_reply
    auto [ec] = co_await p->event.async_wait(asio::as_tuple(asio::use_awaitable));
    if (p->answered) {
        if (p->answer.type != reply::kind::none) {
            out.status = exec_status::answered;
            out.answer = std::move(p->answer);
        }
        co_return out;
    }
    out.status = ec ? exec_status::cancelled : exec_status::timed_out;
    co_return out;
}

// Why a command did not give what we expected, for the log. `redact`: keep only the error
// code of an error reply (AUTH's).
std::string describe(const exec_result& r, const hiredis_connection& conn, bool redact = false) {
    switch (r.status) {
        case exec_status::lost:
            return conn.error();
        case exec_status::timed_out:
            return "no reply before the deadline";
        case exec_status::cancelled:
            return "cancelled";
        case exec_status::answered:
            break;
    }
    if (r.answer.type == reply::kind::error) {
        return redact ? r.answer.str.substr(0, r.answer.str.find(' ')) : r.answer.str;
    }
    return "unexpected reply";
}

bool is_status(const exec_result& r, std::string_view text) {
    return r.status == exec_status::answered && r.answer.type == reply::kind::status &&
           r.answer.str == text;
}

// Splits "epoch:version"; nullopt unless both are decimal counters.
std::optional<std::pair<std::string, std::string>> split_stamp(const std::string& stamp) {
    const auto colon = stamp.find(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    std::string epoch = stamp.substr(0, colon);
    std::string version = stamp.substr(colon + 1);
    if (!all_digits(epoch) || !all_digits(version)) {
        return std::nullopt;
    }
    return std::pair{std::move(epoch), std::move(version)};
}

// A counter of the MGET reply: its digits, "0" when the key is absent; nullopt otherwise.
std::optional<std::string> counter_of(const reply& e) {
    if (e.type == reply::kind::nil) return std::string("0");
    if (e.type == reply::kind::string && all_digits(e.str)) return e.str;
    return std::nullopt;
}

// MGET epoch, version, entry -> the stamp, and the value when the entry was filed under it;
// nullopt for anything else.
std::optional<redis_cache::lookup_result> parse_lookup(exec_result& r) {
    if (r.status != exec_status::answered || r.answer.type != reply::kind::array ||
        r.answer.elements.size() != 3) {
        return std::nullopt;
    }
    auto& e = r.answer.elements;
    auto epoch = counter_of(e[0]);
    auto version = counter_of(e[1]);
    if (!epoch || !version) return std::nullopt;
    redis_cache::lookup_result out;
    out.stamp = *epoch + ":" + *version;
    if (e[2].type == reply::kind::string) {
        auto& entry = e[2].str;
        const auto nl = entry.find('\n');
        // Filed under an older stamp (or not ours): a miss; put() overwrites it.
        if (nl != std::string::npos && std::string_view(entry).substr(0, nl) == *out.stamp) {
            entry.erase(0, nl + 1);
            out.value = std::move(entry);
        }
    } else if (e[2].type != reply::kind::nil) {
        return std::nullopt;
    }
    return out;
}

// An in-flight getaddrinfo (on Asio's resolver thread), awaited like a command.
struct pending_resolve {
    explicit pending_resolve(const executor& ex) : resolver(ex), event(ex) {}
    asio::ip::tcp::resolver resolver;
    asio::steady_timer event;
    bool done = false;
    boost::system::error_code ec;
    asio::ip::tcp::resolver::results_type results;
};

struct resolved {
    std::string address;  // empty on failure
    std::string error;
};

// hiredis writes with write(2), not send(MSG_NOSIGNAL): a write to a connection the server has
// reset would raise SIGPIPE, whose default action kills the process. Ignore it unless someone
// installed a handler already (sockets then report EPIPE, which every caller handles).
void ignore_sigpipe() {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
        ::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c): nothing to do if it fails
    }
}

void log_task_failure(const std::exception_ptr& e) {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        log_error("redis cache task failed", {{"error", ex.what()}});
    } catch (...) {
        log_error("redis cache task failed");
    }
}

}  // namespace

// ---- the cache ------------------------------------------------------------------------------

struct redis_cache::impl {
    enum class state { down, connecting, up };

    impl(const executor& ex, options o, metrics& met)
        : strand(asio::make_strand(ex)), opts(std::move(o)), m(met), wake(strand) {
        if (!opts.url.empty()) {
            target = parse_redis_url(opts.url);
            where = target->where();
        }
        opts.command_timeout = std::max(opts.command_timeout, milliseconds{1});
        opts.reconnect_min = std::max(opts.reconnect_min, milliseconds{1});
        opts.reconnect_max = std::max(opts.reconnect_max, opts.reconnect_min);
        backoff = opts.reconnect_min;
        epoch_key = opts.prefix + "epoch";
    }

    // Immutable after construction, or atomic: read from any thread.
    asio::strand<executor> strand;
    options opts;
    metrics& m;
    std::optional<redis_target> target;  // nullopt: disabled
    std::string where;
    std::string epoch_key;
    std::shared_ptr<std::atomic<bool>> up_flag = std::make_shared<std::atomic<bool>>(false);
    std::atomic<bool> closed{false};

    // On `strand` only.
    state st = state::down;
    bool shut_down = false;
    std::shared_ptr<hiredis_connection> conn;        // the serving connection, while up
    std::shared_ptr<hiredis_connection> connecting;  // the attempt in flight
    std::shared_ptr<pending_resolve> resolving;
    asio::steady_timer wake;  // the manager's back-off, and its "wait until failure"
    milliseconds backoff{};
    bool bump_epoch = false;  // an invalidation may have been lost
    bool outage_logged = false;
    std::uint64_t generations = 0;
    std::uint64_t attempts = 0;

    void count_lookup(const char* result) {
        m.inc(requests_metric, requests_help, {{"result", result}});
    }
    void count_invalidation(const char* result) {
        m.inc(invalidations_metric, invalidations_help, {{"result", result}});
    }

    std::string version_key(const std::string& scope) const { return opts.prefix + "v:" + scope; }
    std::string entry_key(const std::string& scope, const std::string& key) const {
        return opts.prefix + "c:" + scope + ":" + key;
    }
    clock_type::time_point command_deadline() const {
        return clock_type::now() + opts.command_timeout;
    }

    void note_failure(const std::string& reason) {
        if (!outage_logged) {
            outage_logged = true;
            log_warn(
                fmt::format("redis unavailable ({}: {}); serving from PostgreSQL", where, reason),
                {{"redis", where}}
            );
        } else {
            log_debug("redis still unavailable", {{"redis", where}, {"error", reason}});
        }
    }

    // The serving connection went bad: stop serving, free it (its pending commands complete as
    // lost), and wake the manager to reconnect. Stale generations are ignored.
    void connection_failed(std::uint64_t generation, const std::string& reason) {
        if (!conn || conn->generation() != generation) {
            return;
        }
        auto dead = std::move(conn);
        st = state::down;
        up_flag->store(false);
        bump_epoch = true;
        note_failure(reason);
        dead->close();
        wake.cancel();
    }

    void command_failed(const hiredis_connection& c, std::string_view what, const exec_result& r) {
        connection_failed(c.generation(), fmt::format("{}: {}", what, describe(r, c)));
    }

    // The connection to send on, or null when not serving.
    std::shared_ptr<hiredis_connection> usable() {
        if (st != state::up || !conn) {
            return nullptr;
        }
        if (conn->context() == nullptr) {  // freed by hiredis; its on_lost is still queued
            connection_failed(conn->generation(), conn->error());
            return nullptr;
        }
        return conn;
    }

    void shutdown() {
        if (shut_down) {
            return;
        }
        shut_down = true;
        closed = true;
        st = state::down;
        up_flag->store(false);
        if (conn) {
            std::exchange(conn, nullptr)->close();
        }
        if (connecting) {
            std::exchange(connecting, nullptr)->close();
        }
        if (resolving) {
            resolving->resolver.cancel();
            resolving->event.cancel();
            resolving.reset();
        }
        wake.cancel();
    }

    // ---- connecting ----

    static asio::awaitable<resolved> resolve(
        std::shared_ptr<impl> self, clock_type::time_point deadline
    ) {
        auto p = std::make_shared<pending_resolve>(self->strand);
        p->event.expires_at(deadline);
        self->resolving = p;
        p->resolver.async_resolve(
            self->target->host,
            std::to_string(self->target->port),
            [p](boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
                p->done = true;
                p->ec = ec;
                p->results = std::move(results);
                p->event.cancel();
            }
        );
        co_await p->event.async_wait(asio::as_tuple(asio::use_awaitable));
        if (self->resolving == p) {
            self->resolving.reset();
        }
        resolved out;
        if (!p->done) {
            p->resolver.cancel();
            out.error = "cannot resolve the host in time";
            co_return out;
        }
        if (p->ec) {
            out.error = "cannot resolve the host: " + p->ec.message();
            co_return out;
        }
        // IPv4 first (as hiredis itself prefers); successive attempts rotate through them.
        std::vector<std::string> v4;
        std::vector<std::string> v6;
        for (const auto& entry : p->results) {
            const auto address = entry.endpoint().address();
            (address.is_v4() ? v4 : v6).push_back(address.to_string());
        }
        v4.insert(v4.end(), v6.begin(), v6.end());
        if (v4.empty()) {
            out.error = "the host has no address";
            co_return out;
        }
        out.address = v4[(self->attempts - 1) % v4.size()];
        co_return out;
    }

    // AUTH, SELECT, then INCR epoch while a bump is owed (an invalidation failing meanwhile
    // owes another), else PING. Returns why it failed, or "".
    static asio::awaitable<std::string> handshake(
        std::shared_ptr<impl> self,
        std::shared_ptr<hiredis_connection> c,
        clock_type::time_point deadline
    ) {
        const redis_target& t = *self->target;
        bool exchanged = false;
        if (t.password) {
            std::vector<std::string> args{"AUTH"};
            if (!t.user.empty()) {
                args.push_back(t.user);
            }
            args.push_back(*t.password);
            const auto r = co_await exec(c, std::move(args), deadline);
            if (!is_status(r, "OK")) {
                co_return "AUTH: " + describe(r, *c, /*redact=*/true);
            }
            exchanged = true;
        }
        if (t.db) {
            std::vector<std::string> args{"SELECT", *t.db};
            const auto r = co_await exec(c, std::move(args), deadline);
            if (!is_status(r, "OK")) {
                co_return "SELECT: " + describe(r, *c);
            }
            exchanged = true;
        }
        for (;;) {
            if (self->bump_epoch) {
                self->bump_epoch = false;
                std::vector<std::string> args{"INCR", self->epoch_key};
                const auto r = co_await exec(c, std::move(args), deadline);
                if (r.status != exec_status::answered || r.answer.type != reply::kind::integer) {
                    self->bump_epoch = true;
                    co_return "INCR epoch: " + describe(r, *c);
                }
                log_debug(
                    "redis cache epoch bumped",
                    {{"redis", self->where}, {"epoch", r.answer.integer}}
                );
                exchanged = true;
                continue;
            }
            if (exchanged) {
                co_return std::string();
            }
            std::vector<std::string> args{"PING"};
            const auto r = co_await exec(c, std::move(args), deadline);
            if (!is_status(r, "PONG")) {
                co_return "PING: " + describe(r, *c);
            }
            exchanged = true;
        }
    }

    void attempt_failed(const std::string& reason) {
        st = state::down;
        up_flag->store(false);
        bump_epoch = true;
        note_failure(reason);
    }

    // One connection attempt; true when serving.
    static asio::awaitable<bool> connect(std::shared_ptr<impl> self) {
        self->st = state::connecting;
        ++self->attempts;
        const auto deadline =
            clock_type::now() + std::max(self->opts.command_timeout, min_connect_timeout);
        std::string address = self->target->host;
        if (!is_address_literal(address)) {
            const resolved r = co_await resolve(self, deadline);
            if (self->shut_down) {
                co_return false;
            }
            if (r.address.empty()) {
                self->attempt_failed(r.error);
                co_return false;
            }
            address = r.address;
        }
        std::weak_ptr<impl> weak = self;
        auto c = std::make_shared<hiredis_connection>(
            self->strand,
            ++self->generations,
            [weak](std::uint64_t generation, const std::string& reason) {
                if (auto s = weak.lock()) {
                    s->connection_failed(generation, reason);
                }
            }
        );
        if (!c->open(address, self->target->port)) {
            self->attempt_failed(c->error());
            co_return false;
        }
        self->connecting = c;
        std::string failure = co_await handshake(self, c, deadline);
        if (self->connecting == c) {
            self->connecting.reset();
        }
        if (self->shut_down) {
            c->close();
            co_return false;
        }
        if (failure.empty() && c->context() == nullptr) {
            failure = c->error();
        }
        if (!failure.empty()) {
            c->close();
            self->attempt_failed(failure);
            co_return false;
        }
        // No suspension from the handshake's last check of bump_epoch to here.
        self->conn = std::move(c);
        self->st = state::up;
        self->up_flag->store(true);
        self->backoff = self->opts.reconnect_min;
        if (self->outage_logged) {
            self->outage_logged = false;
            log_info(
                fmt::format("redis available again ({}); caching resumed", self->where),
                {{"redis", self->where}}
            );
        } else {
            log_debug("redis connected", {{"redis", self->where}});
        }
        co_return true;
    }

    // Connects, waits while serving, backs off after failures; the only place attempts start,
    // so at most one is in flight.
    static asio::awaitable<void> run(std::shared_ptr<impl> self) {
        bool first = true;
        while (!self->shut_down) {
            if (!first) {
                self->wake.expires_after(self->backoff);
                co_await self->wake.async_wait(asio::as_tuple(asio::use_awaitable));
                if (self->shut_down) {
                    break;
                }
                self->backoff = std::min(self->backoff * 2, self->opts.reconnect_max);
            }
            first = false;
            if (co_await connect(self) && self->st == state::up) {
                // Until connection_failed() or shutdown() cancels it.
                self->wake.expires_at(clock_type::time_point::max());
                co_await self->wake.async_wait(asio::as_tuple(asio::use_awaitable));
            }
        }
    }

    // ---- operations (on the strand) ----

    static asio::awaitable<lookup_result> do_lookup(
        std::shared_ptr<impl> self, std::string scope, std::string key
    ) {
        co_await asio::this_coro::throw_if_cancelled(false);
        auto c = self->usable();
        if (!c) {
            self->count_lookup("error");
            co_return lookup_result{};
        }
        std::vector<std::string> args{
            "MGET", self->epoch_key, self->version_key(scope), self->entry_key(scope, key)};
        auto r = co_await exec(c, std::move(args), self->command_deadline());
        if (r.status == exec_status::cancelled) {
            co_return lookup_result{};
        }
        auto found = parse_lookup(r);
        if (!found) {
            self->command_failed(*c, "lookup", r);
            self->count_lookup("error");
            co_return lookup_result{};
        }
        self->count_lookup(found->value ? "hit" : "miss");
        co_return std::move(*found);
    }

    static asio::awaitable<void> do_put(
        std::shared_ptr<impl> self,
        std::string scope,
        std::string stamp,
        std::string key,
        std::string value,
        std::chrono::seconds ttl
    ) {
        co_await asio::this_coro::throw_if_cancelled(false);
        const auto parts = split_stamp(stamp);
        if (!parts) {
            log_debug("redis cache: put with a malformed stamp ignored");
            co_return;
        }
        auto c = self->usable();
        if (!c) {
            co_return;
        }
        const auto seconds = std::max<std::chrono::seconds::rep>(ttl.count(), 1);
        std::string entry;
        entry.reserve(stamp.size() + 1 + value.size());
        entry.append(stamp).append(1, '\n').append(value);
        std::vector<std::string> args{
            "SET", self->entry_key(scope, key), std::move(entry), "EX", std::to_string(seconds)};
        const auto r = co_await exec(c, std::move(args), self->command_deadline());
        if (r.status != exec_status::cancelled && !is_status(r, "OK")) {
            self->command_failed(*c, "put", r);
        }
    }

    static asio::awaitable<void> do_invalidate(
        std::shared_ptr<impl> self, std::vector<std::string> scopes
    ) {
        co_await asio::this_coro::throw_if_cancelled(false);
        auto c = self->usable();
        if (!c) {
            self->bump_epoch = true;  // lost: the next connection bumps the epoch first
            self->count_invalidation("error");
            co_return;
        }
        std::vector<std::string> args{"EVAL", std::string(invalidate_script)};
        args.push_back(std::to_string(scopes.size()));
        for (const auto& s : scopes) {
            args.push_back(self->version_key(s));
        }
        const auto r = co_await exec(c, std::move(args), self->command_deadline());
        if (r.status == exec_status::cancelled) {
            // Still queued on a live connection, so Redis runs it; if the connection fails
            // first, connection_failed() owes an epoch bump anyway.
            co_return;
        }
        if (r.status != exec_status::answered || r.answer.type != reply::kind::integer) {
            self->command_failed(*c, "invalidate", r);  // owes an epoch bump
            self->count_invalidation("error");
            co_return;
        }
        self->count_invalidation("ok");
    }
};

// NOLINTNEXTLINE(performance-unnecessary-value-param): the public signature takes a value
redis_cache::redis_cache(asio::any_io_executor ex, options opts, metrics& m)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts), m)) {
    m.gauge(
        "ptool_cache_up",
        "1 while the Redis cache is connected and its last exchange succeeded.",
        {},
        [up = impl_->up_flag] { return up->load() ? 1.0 : 0.0; }
    );
    if (impl_->target) {
        ignore_sigpipe();
        asio::co_spawn(impl_->strand, impl::run(impl_), [](const std::exception_ptr& e) {
            log_task_failure(e);
        });
    }
}

redis_cache::~redis_cache() {
    try {
        close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): bad_alloc posting the close; impl's
                     // destructor frees the hiredis context when its last owner goes
    }
}

asio::awaitable<redis_cache::lookup_result> redis_cache::lookup(
    std::string scope, std::string key
) {
    const std::shared_ptr<impl> self = impl_;
    if (self->closed) {
        co_return lookup_result{};
    }
    if (!self->target) {
        self->count_lookup("miss");
        co_return lookup_result{};
    }
    if (!self->up_flag->load()) {  // not serving: no hop, no wait
        self->count_lookup("error");
        co_return lookup_result{};
    }
    co_return co_await asio::co_spawn(
        self->strand, impl::do_lookup(self, std::move(scope), std::move(key)), asio::use_awaitable
    );
}

asio::awaitable<void> redis_cache::put(
    std::string scope,
    std::string stamp,
    std::string key,
    std::string value,
    std::chrono::seconds ttl
) {
    const std::shared_ptr<impl> self = impl_;
    if (self->closed || !self->target || !self->up_flag->load()) {
        co_return;
    }
    co_await asio::co_spawn(
        self->strand,
        impl::do_put(
            self, std::move(scope), std::move(stamp), std::move(key), std::move(value), ttl
        ),
        asio::use_awaitable
    );
}

asio::awaitable<void> redis_cache::invalidate(std::vector<std::string> scopes) {
    const std::shared_ptr<impl> self = impl_;
    if (self->closed || !self->target || scopes.empty()) {
        co_return;
    }
    co_await asio::co_spawn(
        self->strand, impl::do_invalidate(self, std::move(scopes)), asio::use_awaitable
    );
}

bool redis_cache::up() const { return impl_->up_flag->load(); }

void redis_cache::close() {
    impl_->closed = true;
    impl_->up_flag->store(false);
    // Runs now when called on the strand, else as soon as the strand is free. If the io_context
    // never runs it again, destroying the queued handler destroys `impl`, whose connections
    // free their hiredis contexts in their destructors.
    asio::dispatch(impl_->strand, [self = impl_] { self->shutdown(); });
}

}  // namespace ptool::platform
