// The one translation unit that compiles Asio and Beast (separate compilation), so the
// rest of the tree only includes their headers and builds stay fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
