#include "upload_location.hpp"

#include "url.hpp"

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

} // namespace ferry::native
