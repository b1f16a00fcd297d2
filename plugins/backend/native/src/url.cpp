#include "url.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

namespace ferry::native {
namespace {

std::string lowercase(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

// Splits "path?query#fragment" into its parts.
void split_path_query_fragment(std::string_view rest, Url& url) {
    const auto hash = rest.find('#');
    if (hash != std::string_view::npos) {
        url.fragment = std::string(rest.substr(hash + 1));
        rest = rest.substr(0, hash);
    }

    const auto question = rest.find('?');
    if (question != std::string_view::npos) {
        url.query = std::string(rest.substr(question + 1));
        rest = rest.substr(0, question);
    }
    url.path = std::string(rest);
}

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string> output;
    const bool absolute = !path.empty() && path.front() == '/';
    std::size_t position = absolute ? 1 : 0;
    bool trailing_slash = false;

    while (position <= path.size()) {
        auto end = path.find('/', position);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        const auto segment = path.substr(position, end - position);
        const bool last = end == path.size();

        if (segment == "..") {
            if (!output.empty()) {
                output.pop_back();
            }
            trailing_slash = true;
        } else if (segment == ".") {
            trailing_slash = true;
        } else {
            output.emplace_back(segment);
            trailing_slash = false;
        }

        if (last) {
            break;
        }
        position = end + 1;
    }

    std::string result = absolute ? "/" : "";
    for (std::size_t i = 0; i < output.size(); ++i) {
        if (i > 0) {
            result += '/';
        }
        result += output[i];
    }
    if (trailing_slash && !output.empty()) {
        result += '/';
    }
    return result;
}

std::string merge_paths(const Url& base, std::string_view reference_path) {
    if (!base.authority.empty() && base.path.empty()) {
        return "/" + std::string(reference_path);
    }
    const auto slash = base.path.rfind('/');
    if (slash == std::string::npos) {
        return std::string(reference_path);
    }
    return base.path.substr(0, slash + 1) + std::string(reference_path);
}

} // namespace

std::optional<Url> Url::parse(std::string_view text) {
    const auto colon = text.find("://");
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }

    Url url;
    url.scheme = lowercase(text.substr(0, colon));
    if (url.scheme != "http" && url.scheme != "https") {
        return std::nullopt;
    }

    auto rest = text.substr(colon + 3);
    const auto authority_end = rest.find_first_of("/?#");
    url.authority = std::string(rest.substr(0, authority_end));
    if (url.authority.empty() || url.authority.find('@') != std::string::npos) {
        return std::nullopt;
    }

    if (authority_end != std::string_view::npos) {
        split_path_query_fragment(rest.substr(authority_end), url);
    }
    return url;
}

std::string Url::to_string() const {
    std::string text = scheme + "://" + authority + path;
    if (query) {
        text += '?' + *query;
    }
    if (fragment) {
        text += '#' + *fragment;
    }
    return text;
}

std::string Url::origin() const {
    std::string host = lowercase(authority);
    std::string port;

    // The port follows the last colon, unless that colon is inside an IPv6 literal.
    const auto colon = host.rfind(':');
    const auto bracket = host.rfind(']');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
        port = host.substr(colon + 1);
        host = host.substr(0, colon);
    }
    if (port.empty()) {
        port = scheme == "https" ? "443" : "80";
    }
    return scheme + "://" + host + ":" + port;
}

std::string resolve_url(std::string_view base_text, std::string_view reference) {
    const auto base = Url::parse(base_text);
    if (!base) {
        throw std::invalid_argument("not an absolute http(s) URL: " + std::string(base_text));
    }

    // A reference with a scheme is absolute.
    const auto first_delimiter = reference.find_first_of(":/?#");
    if (first_delimiter != std::string_view::npos && reference[first_delimiter] == ':') {
        auto absolute = Url::parse(reference);
        if (!absolute) {
            throw std::invalid_argument("not an http(s) URL: " + std::string(reference));
        }
        absolute->path = remove_dot_segments(absolute->path);
        return absolute->to_string();
    }

    Url target;
    target.scheme = base->scheme;

    if (reference.substr(0, 2) == "//") {
        auto absolute = Url::parse(base->scheme + ":" + std::string(reference));
        if (!absolute) {
            throw std::invalid_argument("invalid network-path reference: " + std::string(reference));
        }
        absolute->path = remove_dot_segments(absolute->path);
        return absolute->to_string();
    }

    target.authority = base->authority;
    Url parts;
    split_path_query_fragment(reference, parts);

    if (parts.path.empty()) {
        target.path = base->path;
        target.query = parts.query ? parts.query : base->query;
    } else if (parts.path.front() == '/') {
        target.path = remove_dot_segments(parts.path);
        target.query = parts.query;
    } else {
        target.path = remove_dot_segments(merge_paths(*base, parts.path));
        target.query = parts.query;
    }
    target.fragment = parts.fragment;
    return target.to_string();
}

bool same_origin(std::string_view a, std::string_view b) {
    const auto first = Url::parse(a);
    const auto second = Url::parse(b);
    return first && second && first->origin() == second->origin();
}

} // namespace ferry::native
