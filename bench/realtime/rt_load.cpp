// bench/realtime load client: N WebSocket clients speaking raw Engine.IO v4 / Socket.IO v5 to
// `ptool serve` (or to rt_floor), timing confirm response -> event receipt on every client.
//
// One process, three kinds of threads, one clock (steady_clock = CLOCK_MONOTONIC):
// - the clients: one io_context run by --threads threads; each client is a coroutine on its own
//   strand that connects (`GET /socket.io/?EIO=4&transport=websocket`), reads the open packet
//   `0{...}`, sends `40{"token":...}`, waits for `40{...}`, then reads frames: a ping `2` is
//   answered `3`, `42["booking.confirmed",...]` / `42["booking.pencilled",...]` containing the
//   current round's booking id are time-stamped and counted, everything else is ignored;
// - the coordinator: its own io_context and thread (so that its time stamps do not queue
//   behind the clients' work) runs the HTTP requests and the rounds;
// - the LISTEN floor: a libpq connection (its own thread) LISTENing on booking_events that
//   time-stamps every notification.
//
// A round (--mode ptool): create a hold, pencil it, wait until every client has the
// `booking.pencilled` event, pause --gap-ms, then POST .../confirm: t0 = the moment its
// response is fully read. Latency of a client = its receipt time of `booking.confirmed` - t0
// (negative when the event arrives before the response). The LISTEN floor of the round = the
// first notification of our tenant after the confirm was sent - t0; and each client's receipt
// is also reported from that notification ("from_notify": the server's own part, from the moment
// it could know of the commit to the client; the notification reaches ptool's pump and this
// process alike).
// A round (--mode floor): POST /broadcast to rt_floor with a frame of the real event's size,
// then --extra-frames frames of --extra-frame-bytes (what ptool sends after each booking event:
// availability.changed); t0 and latencies as above.
//
// Phases: warm-up (--warmup-clients clients, --warmup-rounds rounds, then closed), the server's
// VmRSS ("before"), N clients connected with at most --parallel handshakes in flight, --settle
// seconds idle, VmRSS again ("idle": (idle - before) / N per connection), the measured rounds
// (CPU of the server, its PostgreSQL backends (--pg), this process and the machine: over whole
// rounds, and over each confirm's window from sending it to the last receipt), VmRSS after.
//
// Output: human-readable progress on stderr; one line `BENCH key=value ...` on stdout; with
// --out DIR also DIR/<label>-samples.txt (round client latency_ms) and DIR/<label>-rounds.txt.
// Exit status: 0 when every client connected and received every measured round's event, 1 when
// not (misses, failed handshakes, disconnects), 2 on bad usage.

#include <libpq-fe.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

constexpr std::int64_t not_received = std::numeric_limits<std::int64_t>::min();

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch()
    )
        .count();
}

double ms_between(std::int64_t from_ns, std::int64_t to_ns) {
    return static_cast<double>(to_ns - from_ns) / 1e6;
}

// ---- options ---------------------------------------------------------------------------------

struct options {
    std::string mode = "ptool";  // ptool | floor
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string socket_token;  // handshake auth (ptool)
    std::string api_token;     // Bearer token of the HTTP requests (ptool: a manager)
    std::string artist;        // the artist the rounds book (ptool)
    std::string tenant;        // NOTIFY payloads start with "<tenant>:" (ptool)
    std::string pg;            // conninfo of the LISTEN floor; empty: none
    int clients = 5000;
    int rounds = 50;
    int parallel = 200;
    int threads = 1;
    int settle_s = 5;
    int warmup_clients = 20;
    int warmup_rounds = 3;
    int server_pid = 0;
    int round_timeout_ms = 10000;
    int gap_ms = 100;
    int frame_bytes = 0;        // floor: pad the broadcast frame to this size (0: ~700 bytes)
    int extra_frames = 0;       // floor: frames written after it to every client (as ptool's
    int extra_frame_bytes = 0;  // availability.changed), each of this size (0: ~140 bytes)
    int day_offset = 30;        // the first round books today + day_offset days, 10:00-11:00 UTC
    std::string label;          // file prefix and BENCH label (default: the mode)
    std::string out_dir;
};

[[noreturn]] void usage(int code) {
    std::fprintf(
        code == 0 ? stdout : stderr,
        "usage: rt_load --port P [--mode ptool|floor] [--host H] [--socket-token JWT]\n"
        "  [--api-token JWT] [--artist ID] [--tenant ID] [--pg CONNINFO] [--clients N]\n"
        "  [--rounds R] [--parallel P] [--threads T] [--settle S] [--warmup-clients N]\n"
        "  [--warmup-rounds N] [--server-pid PID] [--round-timeout-ms MS] [--gap-ms MS]\n"
        "  [--frame-bytes B] [--extra-frames K] [--extra-frame-bytes B] [--day-offset D]\n"
        "  [--label L] [--out DIR]\n"
    );
    std::exit(code);
}

int to_int(const std::string& name, const std::string& v) {
    try {
        std::size_t used = 0;
        long n = std::stol(v, &used);
        if (used == v.size() && n >= 0 && n <= std::numeric_limits<int>::max()) {
            return static_cast<int>(n);
        }
    } catch (const std::exception&) {
    }
    std::fprintf(
        stderr, "rt_load: %s must be a non-negative integer, not '%s'\n", name.c_str(), v.c_str()
    );
    usage(2);
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") usage(0);
        if (i + 1 >= argc) usage(2);
        std::string v = argv[++i];
        if (a == "--mode")
            o.mode = v;
        else if (a == "--host")
            o.host = v;
        else if (a == "--port")
            o.port = static_cast<std::uint16_t>(std::min(to_int(a, v), 65535));
        else if (a == "--socket-token")
            o.socket_token = v;
        else if (a == "--api-token")
            o.api_token = v;
        else if (a == "--artist")
            o.artist = v;
        else if (a == "--tenant")
            o.tenant = v;
        else if (a == "--pg")
            o.pg = v;
        else if (a == "--clients")
            o.clients = to_int(a, v);
        else if (a == "--rounds")
            o.rounds = to_int(a, v);
        else if (a == "--parallel")
            o.parallel = to_int(a, v);
        else if (a == "--threads")
            o.threads = to_int(a, v);
        else if (a == "--settle")
            o.settle_s = to_int(a, v);
        else if (a == "--warmup-clients")
            o.warmup_clients = to_int(a, v);
        else if (a == "--warmup-rounds")
            o.warmup_rounds = to_int(a, v);
        else if (a == "--server-pid")
            o.server_pid = to_int(a, v);
        else if (a == "--round-timeout-ms")
            o.round_timeout_ms = to_int(a, v);
        else if (a == "--gap-ms")
            o.gap_ms = to_int(a, v);
        else if (a == "--frame-bytes")
            o.frame_bytes = to_int(a, v);
        else if (a == "--extra-frames")
            o.extra_frames = to_int(a, v);
        else if (a == "--extra-frame-bytes")
            o.extra_frame_bytes = to_int(a, v);
        else if (a == "--day-offset")
            o.day_offset = to_int(a, v);
        else if (a == "--label")
            o.label = v;
        else if (a == "--out")
            o.out_dir = v;
        else
            usage(2);
    }
    if (o.mode != "ptool" && o.mode != "floor") usage(2);
    if (o.port == 0 || o.clients < 1 || o.rounds < 1 || o.parallel < 1 || o.threads < 1) usage(2);
    if (o.mode == "ptool" && (o.socket_token.empty() || o.api_token.empty() || o.artist.empty())) {
        std::fprintf(stderr, "rt_load: --mode ptool needs --socket-token, --api-token, --artist\n");
        usage(2);
    }
    if (o.label.empty()) o.label = o.mode;
    return o;
}

// ---- /proc readings --------------------------------------------------------------------------

// VmRSS (kB) of a process ("self" or a pid); -1 when unreadable.
long vm_rss_kb(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
}

// utime + stime (clock ticks) of a process; -1 when unreadable.
long long cpu_ticks(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto p = all.rfind(')');
    if (p == std::string::npos) return -1;
    std::istringstream rest(all.substr(p + 2));
    std::string field;
    long long utime = 0;
    long long stime = 0;
    // After ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime(14) stime(15).
    for (int i = 3; i <= 15 && (rest >> field); ++i) {
        if (i == 14) utime = std::stoll(field);
        if (i == 15) stime = std::stoll(field);
    }
    return utime + stime;
}

// Busy ticks of the whole machine (user nice system irq softirq).
long long machine_ticks() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    long long v[8] = {};
    in >> cpu;
    for (auto& x : v) in >> x;
    return v[0] + v[1] + v[2] + v[5] + v[6];
}

struct cpu_snapshot {
    long long server = 0;
    long long self = 0;
    long long backends = 0;  // the server's PostgreSQL backends (--pg)
    long long machine = 0;
    std::int64_t at_ns = 0;
};

// PostgreSQL backends whose CPU counts as the server's (set before the measured rounds).
std::vector<std::string> backend_pids;

cpu_snapshot snap_cpu(const options& o) {
    long long backends = 0;
    for (const auto& pid : backend_pids) backends += std::max(0LL, cpu_ticks(pid));
    return cpu_snapshot{
        o.server_pid > 0 ? cpu_ticks(std::to_string(o.server_pid)) : 0,
        cpu_ticks("self"),
        backends,
        machine_ticks(),
        now_ns(),
    };
}

// The client backends of the database of `conninfo` other than `exclude` (and the query's own).
std::vector<std::string> find_backends(const std::string& conninfo, int exclude) {
    std::vector<std::string> pids;
    PGconn* c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) == CONNECTION_OK) {
        std::string sql =
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
            "backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> " +
            std::to_string(exclude);
        PGresult* r = PQexec(c, sql.c_str());
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            for (int i = 0; i < PQntuples(r); ++i) pids.emplace_back(PQgetvalue(r, i, 0));
        }
        PQclear(r);
    }
    PQfinish(c);
    return pids;
}

// ---- shared state between clients and the coordinator ----------------------------------------

struct shared_state {
    explicit shared_state(int total_rounds)
        : round_ids(static_cast<std::size_t>(total_rounds)),
          pencilled(static_cast<std::size_t>(total_rounds)),
          confirmed(static_cast<std::size_t>(total_rounds)) {}

    // round_ids[r] is written before current.store(r, release) and never again.
    std::vector<std::string> round_ids;
    std::atomic<int> current{-1};
    std::vector<std::atomic<int>> pencilled;  // clients that got the round's pencil event
    std::vector<std::atomic<int>> confirmed;  // ... its confirm event

    std::atomic<int> in_flight{0};  // handshakes under way
    std::atomic<int> connected{0};  // handshakes completed (cumulative)
    std::atomic<int> failed{0};     // handshakes failed (cumulative)
    std::atomic<int> alive{0};      // clients connected now
    std::atomic<int> dropped{0};    // connections lost while not stopping
    std::atomic<int> stray{0};      // booking.confirmed frames of no current round
    std::atomic<long long> pings{0};
    std::atomic<long long> frames{0};
    std::atomic<std::size_t> event_bytes{0};   // size of a booking.confirmed frame
    std::atomic<long long> booking_frames{0};  // 42["booking.*", ...] frames
    std::atomic<long long> avail_frames{0};    // 42["availability.changed", ...] frames
    std::atomic<std::size_t> avail_bytes{0};   // size of one of them
    std::atomic<bool> stopping{false};
    std::mutex error_mu;
    std::string first_error;  // guarded by error_mu

    void note_error(const std::string& e) {
        std::lock_guard lock(error_mu);
        if (first_error.empty()) first_error = e;
    }
};

struct ws_client {
    ws_client(asio::any_io_executor ex, int total_rounds)
        : ws(ex), recv_ns(static_cast<std::size_t>(total_rounds), not_received) {}
    websocket::stream<beast::tcp_stream> ws;
    std::vector<std::int64_t> recv_ns;  // per round: receipt of booking.confirmed
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The round whose booking id the frame contains (the current one only), or -1.
int round_of(shared_state& s, std::string_view frame) {
    int r = s.current.load(std::memory_order_acquire);
    if (r < 0) return -1;
    const std::string& id = s.round_ids[static_cast<std::size_t>(r)];
    if (id.empty() || frame.find(id) == std::string_view::npos) return -1;
    return r;
}

// One client for its whole life. Runs on its own strand.
awaitable<void> run_client(
    std::shared_ptr<ws_client> c,
    tcp::endpoint ep,
    std::string host,
    std::string auth,
    shared_state& s
) {
    bool handshaken = false;
    try {
        auto& lowest = beast::get_lowest_layer(c->ws);
        lowest.expires_after(30s);
        co_await lowest.async_connect(ep, use_awaitable);
        lowest.expires_never();
        lowest.socket().set_option(tcp::no_delay(true));
        c->ws.set_option(websocket::stream_base::timeout{30s, websocket::stream_base::none(), false}
        );
        c->ws.read_message_max(1 << 20);
        co_await c->ws.async_handshake(
            host, "/socket.io/?EIO=4&transport=websocket", use_awaitable
        );
        beast::flat_buffer buf;
        co_await c->ws.async_read(buf, use_awaitable);
        std::string open = beast::buffers_to_string(buf.data());
        if (!starts_with(open, "0{"))
            throw std::runtime_error("no open packet: " + open.substr(0, 80));
        buf.clear();
        c->ws.text(true);
        co_await c->ws.async_write(asio::buffer(auth), use_awaitable);
        for (;;) {
            co_await c->ws.async_read(buf, use_awaitable);
            std::string msg = beast::buffers_to_string(buf.data());
            buf.clear();
            if (starts_with(msg, "40")) break;
            if (msg == "2") {
                co_await c->ws.async_write(asio::buffer("3", 1), use_awaitable);
                continue;
            }
            if (starts_with(msg, "44")) throw std::runtime_error("connect refused: " + msg);
        }
        handshaken = true;
        s.in_flight.fetch_sub(1);
        s.alive.fetch_add(1);
        s.connected.fetch_add(1);
        for (;;) {
            co_await c->ws.async_read(buf, use_awaitable);
            std::int64_t t = now_ns();
            std::string_view msg(static_cast<const char*>(buf.data().data()), buf.size());
            s.frames.fetch_add(1, std::memory_order_relaxed);
            if (msg == "2") {
                s.pings.fetch_add(1, std::memory_order_relaxed);
                buf.clear();
                co_await c->ws.async_write(asio::buffer("3", 1), use_awaitable);
                continue;
            }
            if (starts_with(msg, "42[\"booking.")) {
                s.booking_frames.fetch_add(1, std::memory_order_relaxed);
            }
            if (starts_with(msg, "42[\"booking.confirmed\"")) {
                int r = round_of(s, msg);
                if (r < 0) {
                    s.stray.fetch_add(1);
                } else if (c->recv_ns[static_cast<std::size_t>(r)] == not_received) {
                    c->recv_ns[static_cast<std::size_t>(r)] = t;
                    s.event_bytes.store(msg.size(), std::memory_order_relaxed);
                    s.confirmed[static_cast<std::size_t>(r)].fetch_add(1);
                }
            } else if (starts_with(msg, "42[\"booking.pencilled\"")) {
                int r = round_of(s, msg);
                if (r >= 0) s.pencilled[static_cast<std::size_t>(r)].fetch_add(1);
            } else if (starts_with(msg, "42[\"availability.changed\"")) {
                s.avail_frames.fetch_add(1, std::memory_order_relaxed);
                s.avail_bytes.store(msg.size(), std::memory_order_relaxed);
            } else if (msg == "1") {
                buf.clear();
                break;  // Engine.IO close
            }
            buf.clear();
        }
    } catch (const std::exception& e) {
        if (!s.stopping.load()) s.note_error(e.what());
    }
    if (!handshaken) {
        s.in_flight.fetch_sub(1);
        s.failed.fetch_add(1);
    } else {
        s.alive.fetch_sub(1);
        if (!s.stopping.load()) s.dropped.fetch_add(1);
    }
}

// ---- the HTTP client of the coordinator -------------------------------------------------------

struct http_result {
    unsigned status = 0;
    std::string body;
};

class http_client {
public:
    http_client(asio::any_io_executor ex, tcp::endpoint ep, std::string host, std::string token)
        : stream_(ex), ep_(ep), host_(std::move(host)), token_(std::move(token)) {}

    awaitable<http_result> post(std::string target, std::string body) {
        if (!stream_.socket().is_open()) {
            stream_.expires_after(10s);
            co_await stream_.async_connect(ep_, use_awaitable);
            stream_.socket().set_option(tcp::no_delay(true));
        }
        bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
        req.set(bhttp::field::host, host_);
        if (!token_.empty()) req.set(bhttp::field::authorization, "Bearer " + token_);
        req.set(bhttp::field::content_type, "application/json");
        req.keep_alive(true);
        req.body() = std::move(body);
        req.prepare_payload();
        stream_.expires_after(30s);
        co_await bhttp::async_write(stream_, req, use_awaitable);
        bhttp::response<bhttp::string_body> res;
        co_await bhttp::async_read(stream_, buf_, res, use_awaitable);
        stream_.expires_never();
        if (!res.keep_alive()) {
            beast::error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
            stream_.close();
        }
        co_return http_result{res.result_int(), std::move(res.body())};
    }

private:
    beast::tcp_stream stream_;
    beast::flat_buffer buf_;
    tcp::endpoint ep_;
    std::string host_;
    std::string token_;
};

// ---- the LISTEN floor ------------------------------------------------------------------------

struct notification {
    std::int64_t at_ns = 0;
    std::string payload;
};

class listen_floor {
public:
    // Connects and LISTENs before returning; throws on failure.
    explicit listen_floor(const std::string& conninfo) {
        conn_ = PQconnectdb(conninfo.c_str());
        if (PQstatus(conn_) != CONNECTION_OK) {
            std::string e = PQerrorMessage(conn_);
            PQfinish(conn_);
            throw std::runtime_error("LISTEN connection: " + e);
        }
        PGresult* r = PQexec(conn_, "LISTEN booking_events");
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            PQfinish(conn_);
            throw std::runtime_error("LISTEN booking_events failed");
        }
        backend_pid_ = PQbackendPID(conn_);
        thread_ = std::thread([this] { loop(); });
    }
    ~listen_floor() {
        stop_.store(true);
        thread_.join();
        PQfinish(conn_);
    }
    listen_floor(const listen_floor&) = delete;
    listen_floor& operator=(const listen_floor&) = delete;

    int backend_pid() const { return backend_pid_; }

    std::size_t count() const {
        std::lock_guard lock(mu_);
        return notes_.size();
    }
    // The first notification from index `from` on, received at or after `after_ns`, whose
    // payload starts with `prefix`.
    std::optional<notification> first_after(
        std::size_t from, std::int64_t after_ns, const std::string& prefix
    ) const {
        std::lock_guard lock(mu_);
        for (std::size_t i = from; i < notes_.size(); ++i) {
            if (notes_[i].at_ns >= after_ns && starts_with(notes_[i].payload, prefix))
                return notes_[i];
        }
        return std::nullopt;
    }

private:
    void loop() {
        int fd = PQsocket(conn_);
        while (!stop_.load()) {
            pollfd p{fd, POLLIN, 0};
            int n = ::poll(&p, 1, 50);
            if (n <= 0) continue;
            std::int64_t t = now_ns();
            if (PQconsumeInput(conn_) == 0) {
                std::fprintf(stderr, "rt_load: LISTEN connection: %s", PQerrorMessage(conn_));
                return;
            }
            while (PGnotify* note = PQnotifies(conn_)) {
                {
                    std::lock_guard lock(mu_);
                    notes_.push_back(notification{t, note->extra});
                }
                PQfreemem(note);
            }
        }
    }

    PGconn* conn_ = nullptr;
    int backend_pid_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::vector<notification> notes_;  // guarded by mu_
};

// ---- statistics ------------------------------------------------------------------------------

// Nearest-rank quantile of sorted values.
double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return std::nan("");
    auto n = static_cast<double>(sorted.size());
    auto i = static_cast<std::size_t>(std::ceil(q * n));
    if (i < 1) i = 1;
    return sorted[std::min(i, sorted.size()) - 1];
}

double mean_of(const std::vector<double>& v) {
    if (v.empty()) return std::nan("");
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

std::string fmt3(double v) {
    if (std::isnan(v)) return "nan";
    char b[64];
    std::snprintf(b, sizeof b, "%.3f", v);
    return b;
}

// ---- the coordinator -------------------------------------------------------------------------

struct round_record {
    int round = 0;
    std::string id;
    std::int64_t sent_ns = 0;  // confirm request sent
    std::string sent_utc;      // the same, wall clock (to match server logs)
    std::int64_t t0_ns = 0;    // confirm response read
    std::optional<std::int64_t> notify_ns;
    int expected = 0;
    int received = 0;
    long long pings = 0;    // pings the clients answered from the confirm to the last receipt
    cpu_snapshot cpu_sent;  // just before the confirm (broadcast) was sent
    cpu_snapshot cpu_done;  // once every client had the event (or the timeout)
};

awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(use_awaitable);
}

// Polls `pred` every millisecond until true or `timeout`; returns the last value.
template <class Pred>
awaitable<bool> wait_until(Pred pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) co_return pred();
        co_await sleep_for(1ms);
    }
    co_return true;
}

std::string extract_id(const std::string& json) {
    auto p = json.find("\"id\":\"");
    if (p == std::string::npos) return {};
    return json.substr(p + 6, 36);
}

// "YYYY-MM-DDT10:00:00Z" for today (UTC) + days, at `hour`.
std::string utc_day_at(int days, int hour) {
    std::time_t now = std::time(nullptr);
    std::time_t t = (now / 86400 + days) * 86400 + hour * 3600;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return b;
}

// "HH:MM:SS.mmm" (UTC) now.
std::string utc_now() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[32];
    std::snprintf(
        b, sizeof b, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms)
    );
    return b;
}

class coordinator {
public:
    coordinator(
        const options& o,
        asio::io_context& clients_ioc,
        asio::io_context& own_ioc,
        tcp::endpoint ep,
        shared_state& s,
        listen_floor* floor
    )
        : o_(o),
          clients_ioc_(clients_ioc),
          ep_(ep),
          host_(o.host + ":" + std::to_string(o.port)),
          auth_("40{\"token\":\"" + o.socket_token + "\"}"),
          s_(s),
          floor_(floor),
          http_(own_ioc.get_executor(), ep, host_, o.api_token) {}

    int exit_code() const { return exit_code_; }

    awaitable<void> run() {
        try {
            co_await run_phases();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "rt_load: %s\n", e.what());
            exit_code_ = 1;
        }
        // Close every client (on its strand) and give them a moment to finish.
        s_.stopping.store(true);
        for (auto& c : clients_) close_client(c);
        co_await wait_until(
            [this] { return s_.alive.load() == 0 && s_.in_flight.load() == 0; }, 5000ms
        );
        clients_.clear();
    }

private:
    static void close_client(const std::shared_ptr<ws_client>& c) {
        asio::post(c->ws.get_executor(), [c] {
            beast::error_code ec;
            auto& sock = beast::get_lowest_layer(c->ws).socket();
            sock.shutdown(tcp::socket::shutdown_both, ec);
            sock.close(ec);
        });
    }

    // Connects `n` clients, at most --parallel handshakes in flight. Returns the seconds taken.
    awaitable<double> connect_clients(int n) {
        int connected0 = s_.connected.load();
        int failed0 = s_.failed.load();
        int total_rounds = o_.warmup_rounds + o_.rounds;
        auto t = now_ns();
        for (int i = 0; i < n; ++i) {
            while (s_.in_flight.load() >= o_.parallel) co_await sleep_for(1ms);
            s_.in_flight.fetch_add(1);
            auto c = std::make_shared<ws_client>(asio::make_strand(clients_ioc_), total_rounds);
            clients_.push_back(c);
            asio::co_spawn(
                c->ws.get_executor(), run_client(c, ep_, host_, auth_, s_), asio::detached
            );
        }
        co_await wait_until(
            [&] { return s_.connected.load() - connected0 + s_.failed.load() - failed0 >= n; },
            std::chrono::milliseconds(120000)
        );
        co_return ms_between(t, now_ns()) / 1000.0;
    }

    // One round; fills `rec` (expected = the clients alive when the confirm is sent).
    awaitable<void> ptool_round(int r, round_record& rec) {
        auto ri = static_cast<std::size_t>(r);
        std::string start = utc_day_at(o_.day_offset + r, 10);
        std::string end = utc_day_at(o_.day_offset + r, 11);
        std::string body = "{\"artistId\":\"" + o_.artist + "\",\"startTime\":\"" + start +
                           "\",\"endTime\":\"" + end + "\"}";
        auto created = co_await http_.post("/api/v1/bookings", body);
        if (created.status != 201) {
            throw std::runtime_error(
                "create: HTTP " + std::to_string(created.status) + " " + created.body.substr(0, 300)
            );
        }
        std::string id = extract_id(created.body);
        if (id.size() != 36)
            throw std::runtime_error("create: no id in " + created.body.substr(0, 300));
        s_.round_ids[ri] = id;
        s_.current.store(r, std::memory_order_release);
        int expected = s_.alive.load();
        auto pencil = co_await http_.post("/api/v1/bookings/" + id + "/pencil", "{}");
        if (pencil.status != 200) {
            throw std::runtime_error(
                "pencil: HTTP " + std::to_string(pencil.status) + " " + pencil.body.substr(0, 300)
            );
        }
        bool all = co_await wait_until(
            [&] { return s_.pencilled[ri].load() >= s_.alive.load(); },
            std::chrono::milliseconds(o_.round_timeout_ms)
        );
        if (!all) {
            std::fprintf(
                stderr,
                "rt_load: round %d: %d of %d clients got booking.pencilled\n",
                r,
                s_.pencilled[ri].load(),
                expected
            );
        }
        co_await sleep_for(std::chrono::milliseconds(o_.gap_ms));
        std::size_t mark = floor_ != nullptr ? floor_->count() : 0;
        rec.round = r;
        rec.id = id;
        rec.expected = s_.alive.load();
        rec.cpu_sent = snap_cpu(o_);
        long long pings0 = s_.pings.load();
        rec.sent_ns = now_ns();
        rec.sent_utc = utc_now();
        auto confirmed = co_await http_.post("/api/v1/bookings/" + id + "/confirm", "{}");
        rec.t0_ns = now_ns();
        if (confirmed.status != 200) {
            throw std::runtime_error(
                "confirm: HTTP " + std::to_string(confirmed.status) + " " +
                confirmed.body.substr(0, 300)
            );
        }
        co_await wait_until(
            [&] { return s_.confirmed[ri].load() >= rec.expected; },
            std::chrono::milliseconds(o_.round_timeout_ms)
        );
        rec.received = s_.confirmed[ri].load();
        rec.cpu_done = snap_cpu(o_);
        rec.pings = s_.pings.load() - pings0;
        if (floor_ != nullptr) {
            co_await wait_until(
                [&] { return floor_->first_after(mark, rec.sent_ns, o_.tenant).has_value(); },
                1000ms
            );
            if (auto n = floor_->first_after(mark, rec.sent_ns, o_.tenant))
                rec.notify_ns = n->at_ns;
        }
    }

    awaitable<void> floor_round(int r, round_record& rec) {
        auto ri = static_cast<std::size_t>(r);
        char id[40];
        std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", r);
        s_.round_ids[ri] = id;
        s_.current.store(r, std::memory_order_release);
        std::string frame =
            std::string("42[\"booking.confirmed\",{\"type\":\"booking.confirmed\",\"bookingId\":\""
            ) +
            id + "\",\"pad\":\"";
        auto want = static_cast<std::size_t>(o_.frame_bytes > 0 ? o_.frame_bytes : 700);
        std::size_t tail = 3;  // "}]
        if (frame.size() + tail < want) frame.append(want - frame.size() - tail, 'x');
        frame += "\"}]";
        // Then what ptool sends after each booking event (availability.changed), '\n'-separated.
        for (int k = 0; k < o_.extra_frames; ++k) {
            std::string extra =
                "\n42[\"availability.changed\",{\"artistId\":\"00000000-0000-4000-8000-"
                "000000000000\",\"pad\":\"";
            auto want_extra =
                static_cast<std::size_t>(o_.extra_frame_bytes > 0 ? o_.extra_frame_bytes : 140) + 1;
            if (extra.size() + tail < want_extra)
                extra.append(want_extra - extra.size() - tail, 'x');
            extra += "\"}]";
            frame += extra;
        }
        co_await sleep_for(std::chrono::milliseconds(o_.gap_ms));
        rec.round = r;
        rec.id = id;
        rec.expected = s_.alive.load();
        rec.cpu_sent = snap_cpu(o_);
        long long pings0 = s_.pings.load();
        rec.sent_ns = now_ns();
        rec.sent_utc = utc_now();
        auto res = co_await http_.post("/broadcast", std::move(frame));
        rec.t0_ns = now_ns();
        if (res.status != 200)
            throw std::runtime_error("broadcast: HTTP " + std::to_string(res.status));
        co_await wait_until(
            [&] { return s_.confirmed[ri].load() >= rec.expected; },
            std::chrono::milliseconds(o_.round_timeout_ms)
        );
        rec.received = s_.confirmed[ri].load();
        rec.cpu_done = snap_cpu(o_);
        rec.pings = s_.pings.load() - pings0;
    }

    awaitable<void> run_phases() {
        const std::string server = std::to_string(o_.server_pid);
        // Warm-up: a few clients and rounds (statements prepared, pools filled), then closed.
        if (o_.warmup_clients > 0) {
            std::fprintf(
                stderr,
                "rt_load: warm-up: %d clients, %d rounds\n",
                o_.warmup_clients,
                o_.warmup_rounds
            );
            co_await connect_clients(o_.warmup_clients);
            if (s_.alive.load() != o_.warmup_clients)
                throw std::runtime_error("warm-up clients failed to connect: " + first_error());
            for (int r = 0; r < o_.warmup_rounds; ++r) {
                round_record rec;
                if (o_.mode == "ptool")
                    co_await ptool_round(r, rec);
                else
                    co_await floor_round(r, rec);
            }
            s_.stopping.store(true);
            for (auto& c : clients_) close_client(c);
            co_await wait_until([this] { return s_.alive.load() == 0; }, 5000ms);
            clients_.clear();
            s_.stopping.store(false);
            co_await sleep_for(1000ms);
        }
        long rss_before = o_.server_pid > 0 ? vm_rss_kb(server) : -1;
        long self_before = vm_rss_kb("self");

        std::fprintf(
            stderr,
            "rt_load: connecting %d clients (%d handshakes in flight)\n",
            o_.clients,
            o_.parallel
        );
        int failed0 = s_.failed.load();
        double connect_s = co_await connect_clients(o_.clients);
        int failed = s_.failed.load() - failed0;
        int alive = s_.alive.load();
        std::fprintf(
            stderr,
            "rt_load: %d connected, %d failed in %.1f s; settling %d s\n",
            alive,
            failed,
            connect_s,
            o_.settle_s
        );
        if (alive == 0) throw std::runtime_error("no client connected: " + first_error());
        co_await sleep_for(std::chrono::seconds(o_.settle_s));
        long rss_idle = o_.server_pid > 0 ? vm_rss_kb(server) : -1;
        long self_idle = vm_rss_kb("self");
        int alive_idle = s_.alive.load();

        if (!o_.pg.empty())
            backend_pids = find_backends(o_.pg, floor_ != nullptr ? floor_->backend_pid() : 0);
        std::fprintf(stderr, "rt_load: %d measured rounds\n", o_.rounds);
        std::vector<round_record> recs(static_cast<std::size_t>(o_.rounds));
        auto cpu0 = snap_cpu(o_);
        for (int i = 0; i < o_.rounds; ++i) {
            int r = o_.warmup_rounds + i;
            if (o_.mode == "ptool")
                co_await ptool_round(r, recs[static_cast<std::size_t>(i)]);
            else
                co_await floor_round(r, recs[static_cast<std::size_t>(i)]);
        }
        auto cpu1 = snap_cpu(o_);
        long rss_after = o_.server_pid > 0 ? vm_rss_kb(server) : -1;
        report(
            recs,
            connect_s,
            failed,
            alive_idle,
            rss_before,
            rss_idle,
            rss_after,
            self_before,
            self_idle,
            cpu0,
            cpu1
        );
    }

    std::string first_error() {
        std::lock_guard lock(s_.error_mu);
        return s_.first_error;
    }

    void report(
        const std::vector<round_record>& recs,
        double connect_s,
        int failed,
        int alive_idle,
        long rss_before,
        long rss_idle,
        long rss_after,
        long self_before,
        long self_idle,
        const cpu_snapshot& c0,
        const cpu_snapshot& c1
    ) {
        std::vector<double> all;
        std::vector<double> from_notify;  // receipt - NOTIFY receipt: the server's own delivery
        std::vector<double> last;
        std::vector<double> first;
        std::vector<double> notify;
        std::vector<double> confirm_ms;
        long long misses = 0;
        long long received = 0;
        all.reserve(clients_.size() * recs.size());
        std::FILE* samples = nullptr;
        std::FILE* rounds = nullptr;
        if (!o_.out_dir.empty()) {
            samples = std::fopen((o_.out_dir + "/" + o_.label + "-samples.txt").c_str(), "w");
            rounds = std::fopen((o_.out_dir + "/" + o_.label + "-rounds.txt").c_str(), "w");
            if (rounds != nullptr) {
                std::fprintf(
                    rounds,
                    "# round booking_id expected received confirm_http_ms notify_ms first_ms "
                    "last_ms pings_in_window sent_utc\n"
                );
            }
        }
        for (const auto& rec : recs) {
            auto ri = static_cast<std::size_t>(rec.round);
            double lo = std::numeric_limits<double>::infinity();
            double hi = -std::numeric_limits<double>::infinity();
            int got = 0;
            for (std::size_t ci = 0; ci < clients_.size(); ++ci) {
                std::int64_t t = clients_[ci]->recv_ns[ri];
                if (t == not_received) continue;
                double l = ms_between(rec.t0_ns, t);
                all.push_back(l);
                if (rec.notify_ns) from_notify.push_back(ms_between(*rec.notify_ns, t));
                lo = std::min(lo, l);
                hi = std::max(hi, l);
                ++got;
                if (samples != nullptr) std::fprintf(samples, "%d %zu %.4f\n", rec.round, ci, l);
            }
            received += got;
            misses += std::max(0, rec.expected - got);
            if (got > 0) {
                last.push_back(hi);
                first.push_back(lo);
            }
            double n_ms = rec.notify_ns ? ms_between(rec.t0_ns, *rec.notify_ns) : std::nan("");
            if (rec.notify_ns) notify.push_back(n_ms);
            confirm_ms.push_back(ms_between(rec.sent_ns, rec.t0_ns));
            if (rounds != nullptr) {
                std::fprintf(
                    rounds,
                    "%d %s %d %d %.3f %s %s %s %lld %s\n",
                    rec.round,
                    rec.id.c_str(),
                    rec.expected,
                    got,
                    ms_between(rec.sent_ns, rec.t0_ns),
                    fmt3(n_ms).c_str(),
                    fmt3(got ? lo : std::nan("")).c_str(),
                    fmt3(got ? hi : std::nan("")).c_str(),
                    rec.pings,
                    rec.sent_utc.c_str()
                );
            }
        }
        if (samples != nullptr) std::fclose(samples);
        if (rounds != nullptr) std::fclose(rounds);
        for (auto* v : {&all, &from_notify, &last, &first, &notify, &confirm_ms})
            std::sort(v->begin(), v->end());

        double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
        double secs = ms_between(c0.at_ns, c1.at_ns) / 1000.0;
        auto n_rounds = static_cast<double>(recs.size());
        double server_ms = static_cast<double>(c1.server - c0.server) / hz * 1000.0 / n_rounds;
        double self_ms = static_cast<double>(c1.self - c0.self) / hz * 1000.0 / n_rounds;
        // CPU within the confirm windows only (confirm sent -> last client): one event's fan-out.
        long long ev_server = 0;
        long long ev_self = 0;
        long long ev_backends = 0;
        long long ev_machine = 0;
        std::int64_t ev_ns = 0;
        for (const auto& rec : recs) {
            ev_server += rec.cpu_done.server - rec.cpu_sent.server;
            ev_self += rec.cpu_done.self - rec.cpu_sent.self;
            ev_backends += rec.cpu_done.backends - rec.cpu_sent.backends;
            ev_machine += rec.cpu_done.machine - rec.cpu_sent.machine;
            ev_ns += rec.cpu_done.at_ns - rec.cpu_sent.at_ns;
        }
        double ev_server_ms = static_cast<double>(ev_server) / hz * 1000.0 / n_rounds;
        double ev_self_ms = static_cast<double>(ev_self) / hz * 1000.0 / n_rounds;
        double ev_backends_ms = static_cast<double>(ev_backends) / hz * 1000.0 / n_rounds;
        double ev_secs = static_cast<double>(ev_ns) / 1e9;
        double ev_busy =
            ev_secs > 0 ? static_cast<double>(ev_machine) / hz / ev_secs : std::nan("");
        double ev_others =
            ev_secs > 0
                ? ev_busy - static_cast<double>(ev_server + ev_self + ev_backends) / hz / ev_secs
                : std::nan("");
        double busy = static_cast<double>(c1.machine - c0.machine) / hz / secs;
        double others =
            busy - static_cast<double>(
                       (c1.server - c0.server) + (c1.self - c0.self) + (c1.backends - c0.backends)
                   ) / hz /
                       secs;
        double backends_ms =
            static_cast<double>(c1.backends - c0.backends) / hz * 1000.0 / n_rounds;
        int n = alive_idle;
        double per_conn = (rss_before >= 0 && rss_idle >= 0 && n > 0)
                              ? static_cast<double>(rss_idle - rss_before) / n
                              : std::nan("");
        double self_per_conn =
            n > 0 ? static_cast<double>(self_idle - self_before) / n : std::nan("");
        bool ok = failed == 0 && misses == 0 && s_.dropped.load() == 0 && alive_idle == o_.clients;
        exit_code_ = ok ? 0 : 1;

        std::ostringstream out;
        out << "BENCH label=" << o_.label << " mode=" << o_.mode << " clients=" << o_.clients
            << " connected=" << alive_idle << " connect_failed=" << failed
            << " connect_s=" << fmt3(connect_s) << " rounds=" << recs.size()
            << " samples=" << all.size() << " received=" << received << " misses=" << misses
            << " dropped=" << s_.dropped.load() << " stray=" << s_.stray.load()
            << " pings=" << s_.pings.load() << " event_bytes=" << s_.event_bytes.load()
            << " booking_frames=" << s_.booking_frames.load()
            << " avail_frames=" << s_.avail_frames.load()
            << " avail_bytes=" << s_.avail_bytes.load()
            << " min_ms=" << fmt3(all.empty() ? std::nan("") : all.front())
            << " p50_ms=" << fmt3(quantile(all, 0.5)) << " p90_ms=" << fmt3(quantile(all, 0.9))
            << " p99_ms=" << fmt3(quantile(all, 0.99)) << " p999_ms=" << fmt3(quantile(all, 0.999))
            << " max_ms=" << fmt3(all.empty() ? std::nan("") : all.back())
            << " mean_ms=" << fmt3(mean_of(all)) << " first_p50_ms=" << fmt3(quantile(first, 0.5))
            << " first_p99_ms=" << fmt3(quantile(first, 0.99))
            << " last_p50_ms=" << fmt3(quantile(last, 0.5))
            << " last_p99_ms=" << fmt3(quantile(last, 0.99))
            << " last_max_ms=" << fmt3(last.empty() ? std::nan("") : last.back())
            << " from_notify_n=" << from_notify.size()
            << " from_notify_p50_ms=" << fmt3(quantile(from_notify, 0.5))
            << " from_notify_p99_ms=" << fmt3(quantile(from_notify, 0.99)) << " from_notify_max_ms="
            << fmt3(from_notify.empty() ? std::nan("") : from_notify.back())
            << " notify_n=" << notify.size()
            << " notify_min_ms=" << fmt3(notify.empty() ? std::nan("") : notify.front())
            << " notify_p50_ms=" << fmt3(quantile(notify, 0.5))
            << " notify_p99_ms=" << fmt3(quantile(notify, 0.99))
            << " notify_max_ms=" << fmt3(notify.empty() ? std::nan("") : notify.back())
            << " confirm_p50_ms=" << fmt3(quantile(confirm_ms, 0.5))
            << " confirm_p99_ms=" << fmt3(quantile(confirm_ms, 0.99))
            << " server_rss_before_kb=" << rss_before << " server_rss_idle_kb=" << rss_idle
            << " server_rss_after_kb=" << rss_after << " rss_per_conn_kib=" << fmt3(per_conn)
            << " load_rss_before_kb=" << self_before << " load_rss_idle_kb=" << self_idle
            << " load_rss_per_conn_kib=" << fmt3(self_per_conn)
            << " server_cpu_ms_per_round=" << fmt3(server_ms)
            << " load_cpu_ms_per_round=" << fmt3(self_ms)
            << " server_cpu_ms_per_event=" << fmt3(ev_server_ms)
            << " load_cpu_ms_per_event=" << fmt3(ev_self_ms)
            << " pg_cpu_ms_per_event=" << fmt3(ev_backends_ms)
            << " pg_cpu_ms_per_round=" << fmt3(backends_ms)
            << " pg_backends=" << backend_pids.size()
            << " event_window_ms=" << fmt3(ev_secs * 1000.0 / n_rounds)
            << " event_busy_cores=" << fmt3(ev_busy)
            << " event_others_cores=" << fmt3(std::max(0.0, ev_others))
            << " busy_cores=" << fmt3(busy) << " others_cores=" << fmt3(std::max(0.0, others))
            << " rounds_s=" << fmt3(secs) << " load_threads=" << o_.threads
            << " ok=" << (ok ? 1 : 0);
        std::cout << out.str() << std::endl;
        std::string err = first_error();
        if (!err.empty()) std::fprintf(stderr, "rt_load: first client error: %s\n", err.c_str());
    }

    const options& o_;
    asio::io_context& clients_ioc_;
    tcp::endpoint ep_;
    std::string host_;
    std::string auth_;
    shared_state& s_;
    listen_floor* floor_;
    http_client http_;
    std::vector<std::shared_ptr<ws_client>> clients_;
    int exit_code_ = 1;
};

awaitable<void> run_coordinator(coordinator& c, asio::io_context& clients_ioc) {
    co_await c.run();
    clients_ioc.stop();
}

}  // namespace

int main(int argc, char** argv) {
    options o = parse_options(argc, argv);
    // Every client is a socket: make sure the limit allows them.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < static_cast<rlim_t>(o.clients + 64)) {
        std::fprintf(
            stderr,
            "rt_load: RLIMIT_NOFILE %llu is below --clients + 64\n",
            static_cast<unsigned long long>(rl.rlim_cur)
        );
        return 2;
    }
    tcp::endpoint ep(asio::ip::make_address(o.host), o.port);
    shared_state s(o.warmup_rounds + o.rounds);

    std::unique_ptr<listen_floor> floor;
    if (!o.pg.empty()) {
        try {
            floor = std::make_unique<listen_floor>(o.pg);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "rt_load: %s\n", e.what());
            return 1;
        }
    }

    asio::io_context clients_ioc(o.threads);
    asio::io_context own_ioc(1);
    auto work = asio::make_work_guard(clients_ioc);
    coordinator coord(o, clients_ioc, own_ioc, ep, s, floor.get());
    asio::co_spawn(own_ioc, run_coordinator(coord, clients_ioc), asio::detached);

    std::vector<std::thread> threads;
    for (int i = 0; i < o.threads; ++i) threads.emplace_back([&clients_ioc] { clients_ioc.run(); });
    own_ioc.run();
    work.reset();
    clients_ioc.stop();
    for (auto& t : threads) t.join();
    return coord.exit_code();
}
