#include "upload_location.hpp"

#include "url.hpp"

#include <charconv>
#include <stdexcept>

namespace ferry::native {

std::string resolve_upload_location(std::string_view request_url, std::string_view location) {
    if (location.empty()) {
        throw std::invalid_argument("the registry started an upload without a Location header");
    }
    return resolve_url(request_url, location);
}

std::string with_digest_parameter(std::string_view upload_url, std::string_view digest) {
    std::string_view head = upload_url;
    std::string_view fragment;
    const auto hash = upload_url.find('#');
    if (hash != std::string_view::npos) {
        head = upload_url.substr(0, hash);
        fragment = upload_url.substr(hash);
    }

    std::string result(head);
    const auto question = head.find('?');
    if (question == std::string_view::npos) {
        result += '?';
    } else if (question + 1 != head.size() && head.back() != '&') {
        result += '&';
    }
    result += "digest=";
    result += digest;
    result += fragment;
    return result;
}

std::optional<std::uint64_t> parse_upload_range(std::string_view range) {
    if (range.rfind("bytes=", 0) == 0) {
        range.remove_prefix(6);
    }
    if (range.rfind("0-", 0) != 0 || range.size() == 2) {
        return std::nullopt;
    }

    std::uint64_t last = 0;
    const auto* end = range.data() + range.size();
    const auto [position, error] = std::from_chars(range.data() + 2, end, last);
    if (error != std::errc() || position != end) {
        return std::nullopt;
    }
    return last == 0 ? 0 : last + 1;
}

} // namespace ferry::native
