#pragma once
// Keyset pages of the lists ordered by (created_at, id) (artists, projects), shared by their
// use cases. Header-only: a template over the row, position and page types.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "platform/pg_connection.hpp"
#include "platform/pg_pool.hpp"
#include "platform/pg_transaction.hpp"

namespace ptool::usecase {

// The store's list function: up to `limit` rows strictly after the position, in list order.
template <class Row, class Position>
using list_rows_fn = boost::asio::awaitable<std::vector<Row>> (*)(
    platform::pg_connection&, const std::optional<Position>&, int
);

// Up to `limit` rows after `after`, read by `list_rows` in one transaction of tenant
// `tenant_id`; `Page` (members `data` and `next`) gets `next` set, to the position of its last
// row, only when more rows follow. `Row` and `Position` have `created_at` and `id`.
// Throws what the transaction throws.
template <class Page, class Row, class Position>
boost::asio::awaitable<Page> list_page(
    platform::pg_pool& pool,
    const std::string& tenant_id,
    const std::optional<Position>& after,
    int limit,
    list_rows_fn<Row, Position> list_rows
) {
    // One row more than asked tells whether another page follows.
    const int fetch = limit + 1;
    auto fn = [&](platform::pg_connection& c) { return list_rows(c, after, fetch); };
    auto rows = co_await platform::with_tenant_transaction(pool, tenant_id, fn);
    Page page;
    if (static_cast<int>(rows.size()) > limit) {
        rows.resize(static_cast<std::size_t>(limit));
        page.next = Position{rows.back().created_at, rows.back().id};
    }
    page.data = std::move(rows);
    co_return page;
}

}  // namespace ptool::usecase
