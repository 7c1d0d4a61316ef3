// The one translation unit that compiles Beast's and Asio's non-inline
// parts (BOOST_BEAST_SEPARATE_COMPILATION, BOOST_ASIO_SEPARATE_COMPILATION,
// set for every user of slotd_http_core): every other file that includes
// them compiles declarations only, which keeps the build fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
