#include "auth_file.hpp"

#include "auth_entry.hpp"
#include "registry_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ferry::docker_config {
namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Returns the problem with the file's content, or nothing once text contains all of it. text
// is sized once, so that no copy of the secret-bearing content is left in freed memory.
std::optional<std::string> read_regular_file(int fd, std::string& text) {
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
        return std::string("cannot be read: ") + std::strerror(errno);
    }
    if (!S_ISREG(status.st_mode)) {
        return std::string("not a regular file");
    }
    if (static_cast<std::size_t>(status.st_size) > max_auth_file_size) {
        return "larger than the limit of " + std::to_string(max_auth_file_size / (1024 * 1024)) + " MiB (" +
               std::to_string(status.st_size) + " bytes)";
    }

    // Room for the size fstat reported plus some growth. A full buffer means the file changed
    // while it was read. The buffer is not grown, because a reallocation would leave a copy
    // of the content in freed memory.
    const std::size_t reported_size = static_cast<std::size_t>(status.st_size);
    text.resize(std::min(reported_size + 4096, max_auth_file_size + 1));
    std::size_t length = 0;
    while (true) {
        if (length == text.size()) {
            return std::string("changed while it was read; try again");
        }
        const ssize_t count = ::read(fd, text.data() + length, text.size() - length);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            return std::string("cannot be read: ") + std::strerror(errno);
        }
        if (count == 0) {
            break;
        }
        length += static_cast<std::size_t>(count);
    }

    text.resize(length);
    return std::nullopt;
}

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void validate_helper_name(const std::string& name, const std::string& path, const std::string& key) {
    const bool valid = !name.empty() && name.size() <= 128 && name.front() != '.' &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                  c == '-' || c == '_' || c == '.';
                       });
    if (!valid) {
        throw sdk::Error(FERRY_ERROR, key + " in " + path + " names an invalid credential helper " + in_quotes(name) +
                                          ": expected the part after \"docker-credential-\", such as \"pass\"");
    }
}

} // namespace

AuthFile AuthFile::load(const AuthFileLocation& location) {
    AuthFile file(location.path, location.format);

    FileDescriptor fd(::open(location.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return file;
        }
        file.exists_ = true;
        file.problem_ = std::string("cannot be read: ") + std::strerror(errno);
        return file;
    }

    std::string text;
    std::optional<std::string> problem = read_regular_file(fd.get(), text);
    if (problem) {
        sdk::wipe(text);
        file.exists_ = true;
        file.problem_ = std::move(problem);
        return file;
    }
    return parse(location.path, location.format, text);
}

AuthFile AuthFile::parse(std::string path, AuthFileFormat format, std::string& text) {
    AuthFile file(std::move(path), format);
    file.exists_ = true;

    // Docker reads an empty config.json as one without entries.
    if (is_blank(text)) {
        sdk::wipe(text);
        file.set_document(nlohmann::json::object());
        return file;
    }

    try {
        nlohmann::json document = parse_json(text);
        sdk::wipe(text);
        file.set_document(std::move(document));
    } catch (const JsonSyntaxError& error) {
        sdk::wipe(text);
        file.problem_ = error.what();
    }
    return file;
}

void AuthFile::set_document(nlohmann::json document) {
    document_ = SecretJson(std::move(document));
    const nlohmann::json& root = document_.get();

    if (!root.is_object()) {
        problem_ = std::string("the top level is a JSON ") + root.type_name() + ", expected an object";
        return;
    }
    if (format_ == AuthFileFormat::config_json) {
        for (const char* key : {"auths", "credHelpers"}) {
            const nlohmann::json* value = top_level_value(key);
            if (value != nullptr && !value->is_object()) {
                problem_ = in_quotes(key) + " is a JSON " + value->type_name() + ", expected an object";
                return;
            }
        }
        const nlohmann::json* store = top_level_value("credsStore");
        if (store != nullptr && !store->is_string()) {
            problem_ = std::string("\"credsStore\" is a JSON ") + store->type_name() + ", expected a string";
            return;
        }
    }
    index_keys();
}

const nlohmann::json* AuthFile::top_level_value(const char* key) const {
    const nlohmann::json& root = document_.get();
    auto found = root.find(key);
    if (found == root.end() || found->is_null()) {
        return nullptr;
    }
    return &*found;
}

const nlohmann::json* AuthFile::auths() const {
    if (format_ == AuthFileFormat::legacy_dockercfg) {
        return &document_.get();
    }
    return top_level_value("auths");
}

// The legacy format has no helpers: there, "credHelpers" would be a registry name.
const nlohmann::json* AuthFile::credential_helpers() const {
    if (format_ == AuthFileFormat::legacy_dockercfg) {
        return nullptr;
    }
    return top_level_value("credHelpers");
}

void AuthFile::index_keys() {
    auto sort_best_first = [](std::map<std::string, std::vector<std::string>, std::less<>>& index) {
        for (auto& [canonical, keys] : index) {
            std::sort(keys.begin(), keys.end(), [&canonical = canonical](const std::string& a, const std::string& b) {
                const bool a_exact = a == canonical;
                const bool b_exact = b == canonical;
                return a_exact != b_exact ? a_exact : a < b;
            });
        }
    };

    if (const nlohmann::json* entries = auths()) {
        for (const auto& item : entries->items()) {
            auths_index_[canonical_auth_key(item.key())].push_back(item.key());
        }
        sort_best_first(auths_index_);
    }

    if (const nlohmann::json* helpers = credential_helpers()) {
        for (const auto& item : helpers->items()) {
            std::string canonical = canonical_auth_key(item.key());
            if (canonical.find('/') == std::string::npos) {
                helpers_index_[canonical].push_back(item.key());
            }
        }
        sort_best_first(helpers_index_);
    }
}

std::optional<HelperChoice> AuthFile::credential_helper_for(std::string_view registry) const {
    auto found = helpers_index_.find(canonical_registry(registry));
    if (found == helpers_index_.end()) {
        return std::nullopt;
    }

    const std::string& written_key = found->second.front();
    const std::string key = "credHelpers[" + in_quotes(written_key) + "]";
    const nlohmann::json& value = credential_helpers()->at(written_key);
    if (!value.is_string()) {
        throw sdk::Error(FERRY_ERROR, key + " in " + path_ + " is a JSON " + value.type_name() +
                                          ", expected the name of a credential helper");
    }
    HelperChoice choice{value.get<std::string>(), key};
    validate_helper_name(choice.name, path_, key);
    return choice;
}

std::optional<HelperChoice> AuthFile::credentials_store() const {
    if (format_ == AuthFileFormat::legacy_dockercfg) {
        return std::nullopt;
    }
    const nlohmann::json* store = top_level_value("credsStore");
    if (store == nullptr || store->get_ref<const std::string&>().empty()) {
        return std::nullopt;
    }
    HelperChoice choice{store->get<std::string>(), "credsStore"};
    validate_helper_name(choice.name, path_, choice.key);
    return choice;
}

std::optional<EntryMatch> AuthFile::find_entry(std::string_view registry, std::string_view repository) const {
    for (const std::string& candidate : lookup_keys(registry, repository)) {
        auto found = auths_index_.find(candidate);
        if (found == auths_index_.end()) {
            continue;
        }
        const std::string& written_key = found->second.front();
        return EntryMatch{written_key, decode_auth_entry(auths()->at(written_key), path_, written_key)};
    }
    return std::nullopt;
}

} // namespace ferry::docker_config
