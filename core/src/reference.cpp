#include <ferry/core/reference.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <utility>

namespace ferry::core {
namespace {

constexpr std::string_view docker_prefix = "docker://";
constexpr std::string_view layout_prefix = "oci:";
constexpr std::string_view docker_hub = "docker.io";
constexpr std::size_t max_name_length = 255;
constexpr std::size_t max_tag_length = 128;

// Transports that skopeo supports and ferry does not copy to or from.
constexpr std::array<std::string_view, 8> other_transports = {
    "containers-storage", "dir", "docker-archive", "docker-daemon", "oci-archive", "ostree",
    "sif", "tarball"};

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | [-]*
bool is_path_component(std::string_view component) {
    std::size_t i = 0;
    auto read_alnum_run = [&]() {
        std::size_t start = i;
        while (i < component.size() && is_lower_alnum(component[i])) {
            ++i;
        }
        return i > start;
    };

    if (!read_alnum_run()) {
        return false;
    }
    while (i < component.size()) {
        char c = component[i];
        if (c == '.') {
            ++i;
        } else if (c == '_') {
            ++i;
            if (i < component.size() && component[i] == '_') {
                ++i;
            }
        } else if (c == '-') {
            while (i < component.size() && component[i] == '-') {
                ++i;
            }
        } else {
            return false;
        }
        if (!read_alnum_run()) {
            return false;
        }
    }
    return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view component) {
    if (component.empty() || !is_alnum(component.front()) || !is_alnum(component.back())) {
        return false;
    }
    return std::all_of(component.begin(), component.end(),
                       [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_port(std::string_view port) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    return std::stoi(std::string(port)) <= 65535;
}

// Hex digits and ':' between brackets, at least "::". Like the distribution grammar, this leaves
// out zone identifiers and dotted IPv4 tails such as [::ffff:192.0.2.1].
bool is_ipv6_literal(std::string_view host) {
    if (host.size() < 4 || host.front() != '[' || host.back() != ']') {
        return false;
    }
    std::string_view inner = host.substr(1, host.size() - 2);
    return std::all_of(inner.begin(), inner.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':';
    });
}

void validate_domain(std::string_view domain) {
    std::string_view host = domain;
    std::size_t colon = domain.rfind(':');
    std::size_t bracket = domain.rfind(']');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        std::string_view port = domain.substr(colon + 1);
        if (!is_port(port)) {
            throw ReferenceError("invalid port " + quote(port) + " in registry " + quote(domain) +
                                 ": use host:port with a number, such as registry.example.com:5000");
        }
        host = domain.substr(0, colon);
    }

    if (is_ipv6_literal(host)) {
        return;
    }
    std::size_t start = 0;
    while (true) {
        std::size_t dot = host.find('.', start);
        std::string_view component = host.substr(start, dot - start);
        if (!is_domain_component(component)) {
            throw ReferenceError("invalid registry host " + quote(domain) +
                                 ": each dot-separated part must be letters, digits or '-', "
                                 "not starting or ending with '-'");
        }
        if (dot == std::string_view::npos) {
            return;
        }
        start = dot + 1;
    }
}

void validate_repository(std::string_view repository, std::string_view whole) {
    std::size_t start = 0;
    while (true) {
        std::size_t slash = repository.find('/', start);
        std::string_view component = repository.substr(start, slash - start);
        if (std::any_of(component.begin(), component.end(),
                        [](char c) { return c >= 'A' && c <= 'Z'; })) {
            throw ReferenceError("repository name component " + quote(component) + " in " +
                                 quote(whole) + " must be lowercase; registries reject "
                                 "uppercase repository names (tags may contain uppercase)");
        }
        if (!is_path_component(component)) {
            throw ReferenceError("invalid repository name component " + quote(component) + " in " +
                                 quote(whole) + ": use lowercase letters and digits, separated "
                                 "by '.', '_', '__' or dashes");
        }
        if (slash == std::string_view::npos) {
            return;
        }
        start = slash + 1;
    }
}

void validate_tag(std::string_view tag, std::string_view whole) {
    bool valid = !tag.empty() && tag.size() <= max_tag_length && is_word(tag.front()) &&
                 std::all_of(tag.begin(), tag.end(),
                             [](char c) { return is_word(c) || c == '.' || c == '-'; });
    if (!valid) {
        throw ReferenceError("invalid tag " + quote(tag) + " in " + quote(whole) +
                             ": a tag is 1 to 128 letters, digits, '_', '.' or '-', "
                             "not starting with '.' or '-'");
    }
}

// Splits "domain/remainder" the way the distribution project normalises names: the first
// component is a registry only when it contains '.' or ':', is "localhost", or has uppercase.
std::pair<std::string, std::string> split_domain(std::string_view name) {
    std::size_t slash = name.find('/');
    if (slash == std::string_view::npos) {
        return {std::string(docker_hub), "library/" + std::string(name)};
    }

    std::string_view first = name.substr(0, slash);
    bool is_domain = first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
                     std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!is_domain) {
        return {std::string(docker_hub), std::string(name)};
    }

    std::string domain(first);
    std::string remainder(name.substr(slash + 1));
    if (domain == "index.docker.io") {
        domain = docker_hub;
    }
    if (domain == docker_hub && remainder.find('/') == std::string::npos) {
        remainder = "library/" + remainder;
    }
    return {domain, remainder};
}

bool is_hex_identifier(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), is_hex_lower);
}

ImageReference parse_layout_reference(std::string_view text) {
    std::string_view rest = text.substr(layout_prefix.size());
    std::size_t colon = rest.find(':');
    std::string_view path = rest.substr(0, colon);
    if (path.empty()) {
        throw ReferenceError("missing directory in " + quote(text) + ": write oci:PATH[:REF]");
    }

    ImageReference reference;
    reference.transport = FERRY_TRANSPORT_OCI_LAYOUT;
    reference.path = std::filesystem::absolute(std::filesystem::path(path)).lexically_normal().string();
    if (colon != std::string_view::npos) {
        reference.layout_ref = std::string(rest.substr(colon + 1));
        bool valid = !reference.layout_ref.empty() &&
                     is_alnum(reference.layout_ref.front()) && is_alnum(reference.layout_ref.back()) &&
                     std::all_of(reference.layout_ref.begin(), reference.layout_ref.end(), [](char c) {
                         return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == ':' ||
                                c == '@' || c == '+' || c == '/';
                     });
        if (!valid) {
            throw ReferenceError("invalid OCI layout ref " + quote(reference.layout_ref) + " in " +
                                 quote(text) + ": use letters and digits joined by - . _ : @ + /");
        }
    }
    return reference;
}

} // namespace

std::string ImageReference::text() const {
    if (transport == FERRY_TRANSPORT_OCI_LAYOUT) {
        return "oci:" + path + (layout_ref.empty() ? "" : ":" + layout_ref);
    }
    std::string text = std::string(docker_prefix) + registry + "/" + repository;
    if (!tag.empty()) {
        text += ":" + tag;
    }
    if (!digest.empty()) {
        text += "@" + digest;
    }
    return text;
}

ImageReference ImageReference::without_tag() const {
    ImageReference copy = *this;
    copy.tag.clear();
    return copy;
}

void validate_digest(std::string_view digest) {
    std::size_t colon = digest.find(':');
    if (colon == std::string_view::npos) {
        throw ReferenceError("invalid digest " + quote(digest) +
                             ": write algorithm:hex, such as sha256:<64 hex digits>");
    }

    std::string_view algorithm = digest.substr(0, colon);
    std::string_view hex = digest.substr(colon + 1);
    std::size_t expected_length = 0;
    if (algorithm == "sha256") {
        expected_length = 64;
    } else if (algorithm == "sha384") {
        expected_length = 96;
    } else if (algorithm == "sha512") {
        expected_length = 128;
    } else {
        throw ReferenceError("unsupported digest algorithm " + quote(algorithm) + " in " +
                             quote(digest) + ": use sha256, sha384 or sha512");
    }

    if (hex.size() != expected_length || !std::all_of(hex.begin(), hex.end(), is_hex_lower)) {
        throw ReferenceError("invalid digest " + quote(digest) + ": " + std::string(algorithm) +
                             " needs " + std::to_string(expected_length) + " lowercase hex digits");
    }
}

namespace {

// ALGORITHM:ENCODED by the characters the OCI digest grammar allows; validate_digest checks the rest.
bool looks_like_digest(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == text.size()) {
        return false;
    }
    for (const char c : text.substr(0, colon)) {
        if (!is_lower_alnum(c) && c != '+' && c != '.' && c != '_' && c != '-') {
            return false;
        }
    }
    for (const char c : text.substr(colon + 1)) {
        if (!is_alnum(c) && c != '=' && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

} // namespace

ImageReference parse_registry_reference(std::string_view text) {
    if (may_contain_credentials(text)) {
        throw ReferenceError("a registry reference cannot carry credentials (USER:PASSWORD@HOST); pass "
                             "them with FERRY_SRC_CREDS / FERRY_DEST_CREDS or --src-username / "
                             "--dest-username with --*-password-stdin (the reference is not shown because "
                             "it may contain a password)");
    }
    if (text.empty()) {
        throw ReferenceError("empty image reference: write registry.example.com/repo:tag");
    }

    ImageReference reference;
    std::string_view name = text;
    std::size_t at = name.find('@');
    if (at != std::string_view::npos) {
        reference.digest = std::string(name.substr(at + 1));
        validate_digest(reference.digest);
        name = name.substr(0, at);
    }

    std::size_t last_slash = name.rfind('/');
    std::size_t colon = name.rfind(':');
    if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
        reference.tag = std::string(name.substr(colon + 1));
        validate_tag(reference.tag, text);
        name = name.substr(0, colon);
    }

    if (name.empty()) {
        throw ReferenceError("missing repository name in " + quote(text));
    }
    if (is_hex_identifier(name)) {
        throw ReferenceError(quote(name) + " looks like an image ID, not a repository name: "
                             "write repository@sha256:<digest> to copy by digest");
    }

    auto [domain, repository] = split_domain(name);
    // The limit covers the full name after Docker Hub normalisation: registry host, '/' and
    // repository. Older versions of the distribution reference parser count the same. Newer
    // ones count the repository alone, so every name accepted here passes both.
    std::size_t full_length = domain.size() + 1 + repository.size();
    if (full_length > max_name_length) {
        throw ReferenceError("image name " + quote(domain + "/" + repository) + " is " +
                             std::to_string(full_length) + " characters long; registry host, '/' "
                             "and repository together may have at most 255");
    }
    validate_domain(domain);
    validate_repository(repository, text);
    reference.registry = domain;
    reference.repository = repository;

    if (reference.tag.empty() && reference.digest.empty()) {
        reference.tag = "latest";
    }
    return reference;
}

bool may_contain_credentials(std::string_view text) {
    if (text.starts_with(layout_prefix)) {
        return false; // a path may contain '@' and ':'
    }
    // After the first '@' comes a digest (ALGORITHM:ENCODED), or in USER:PASSWORD@HOST/... the
    // host. A ':' before the '@' and no digest after it may be the end of a password.
    const std::size_t first_at = text.find('@');
    return first_at != std::string_view::npos && !looks_like_digest(text.substr(first_at + 1)) &&
           text.substr(0, first_at).find(':') != std::string_view::npos;
}

std::string without_credentials(std::string_view text) {
    if (!may_contain_credentials(text)) {
        return std::string(text);
    }
    const std::size_t scheme = text.find("://");
    const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
    return std::string(text.substr(0, start)) + "***" + std::string(text.substr(text.find('@')));
}

ImageReference parse_reference(std::string_view text) {
    // Checked first, because every later error quotes the reference.
    if (may_contain_credentials(text)) {
        throw ReferenceError("invalid text after '@': expected a digest such as @sha256:<64 hex digits>; "
                             "a reference cannot carry credentials (USER:PASSWORD@HOST/...), pass them "
                             "with FERRY_SRC_CREDS / FERRY_DEST_CREDS or --src-username / --dest-username "
                             "with --*-password-stdin (the reference is not shown because it may contain "
                             "a password)");
    }
    if (text.starts_with(docker_prefix)) {
        return parse_registry_reference(text.substr(docker_prefix.size()));
    }
    if (text.starts_with(layout_prefix)) {
        return parse_layout_reference(text);
    }

    std::size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
        std::string_view transport = text.substr(0, colon);
        if (std::find(other_transports.begin(), other_transports.end(), transport) !=
            other_transports.end()) {
            throw ReferenceError("transport " + quote(transport) + " in " + quote(text) +
                                 " is not supported: ferry copies docker:// references and "
                                 "oci:PATH layouts");
        }
    }
    if (text.find("://") != std::string_view::npos) {
        throw ReferenceError("unknown transport in " + quote(text) +
                             ": write docker://host/repo:tag, oci:PATH[:REF], or host/repo:tag");
    }
    return parse_registry_reference(text);
}

} // namespace ferry::core
