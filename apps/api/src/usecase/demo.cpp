// Demo seed: fixed ids make a re-run a no-op (ON CONFLICT DO NOTHING in the store).

#include "usecase/demo.hpp"

#include "platform/pg_transaction.hpp"
#include "store/demo_store.hpp"

namespace ptool::usecase {

namespace {

boost::asio::awaitable<int> seed_in(platform::pg_connection& c, domain::instant now) {
    co_await store::insert_demo(c, demo_tenant_id, demo_tenant_name, domain::format_instant(now));
    co_return 0;
}

}  // namespace

boost::asio::awaitable<void> seed_demo(platform::pg_pool& pool, domain::instant now) {
    co_await platform::with_tenant_transaction(
        pool, demo_tenant_id, [&](platform::pg_connection& c) { return seed_in(c, now); }
    );
}

}  // namespace ptool::usecase
