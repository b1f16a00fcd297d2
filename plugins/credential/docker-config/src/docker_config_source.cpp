#include "docker_config_source.hpp"

#include "auth_entry.hpp"
#include "registry_key.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace ferry::docker_config {
namespace {

constexpr double max_helper_timeout_seconds = 3600;

std::chrono::milliseconds parse_timeout(const std::string& text) {
    std::string_view number = text;
    if (!number.empty() && number.back() == 's') {
        number.remove_suffix(1);
    }

    double seconds = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), seconds);
    const bool parsed = error == std::errc() && end == number.data() + number.size();
    if (parsed && std::isfinite(seconds) && seconds >= 0.001 && seconds <= max_helper_timeout_seconds) {
        return std::chrono::milliseconds(std::llround(seconds * 1000));
    }
    throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                     "invalid docker-config setting helper-timeout=\"" + text +
                         "\": give the seconds a credential helper may take, such as 30 or 2.5 (at most 3600)");
}

std::string process_path_variable() {
    const char* value = std::getenv("PATH");
    return value == nullptr ? std::string() : std::string(value);
}

// An authfile the user named must exist; a typo must not turn into anonymous access.
void require_explicit_files(const std::vector<AuthFileLocation>& locations) {
    for (const AuthFileLocation& location : locations) {
        struct stat status {};
        if (!location.explicit_choice || ::stat(location.path.c_str(), &status) == 0 ||
            (errno != ENOENT && errno != ENOTDIR)) {
            continue;
        }
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT, "the credential file " + location.path + " named by " +
                                                        location.origin +
                                                        " does not exist; check the path, or log in first to create it");
    }
}

} // namespace

SourceSettings SourceSettings::parse(const sdk::Settings& settings, const sdk::Host& host) {
    SourceSettings parsed;
    for (const auto& [key, value] : settings.all()) {
        if (key == "authfile") {
            if (!value.empty()) {
                parsed.authfile = value;
            }
        } else if (key == "helper-timeout") {
            parsed.helper_timeout = parse_timeout(value);
        } else {
            host.warning("docker-config ignores the unknown setting \"" + key +
                         "\"; it knows authfile and helper-timeout");
        }
    }
    return parsed;
}

DockerConfigSource::DockerConfigSource(sdk::Host host, const sdk::Settings& settings)
    : DockerConfigSource(host, SourceSettings::parse(settings, host), std::nullopt, process_path_variable()) {}

DockerConfigSource::DockerConfigSource(sdk::Host host, const sdk::Settings& settings, LocationInputs inputs,
                                       std::string path_variable)
    : DockerConfigSource(host, SourceSettings::parse(settings, host), std::move(inputs), std::move(path_variable)) {}

DockerConfigSource::DockerConfigSource(sdk::Host host, SourceSettings settings, std::optional<LocationInputs> inputs,
                                       std::string path_variable)
    : host_(host),
      settings_(std::move(settings)),
      helpers_(host, settings_.helper_timeout, std::move(path_variable)) {
    if (!inputs) {
        inputs = LocationInputs::from_process(settings_.authfile);
    } else if (settings_.authfile) {
        inputs->authfile_setting = settings_.authfile;
    }
    locations_ = auth_file_locations(*inputs);
    require_explicit_files(locations_);
}

void DockerConfigSource::load_files() {
    if (files_) {
        return;
    }
    files_.emplace();
    for (const AuthFileLocation& location : locations_) {
        files_->push_back(AuthFile::load(location));
        const AuthFile& file = files_->back();
        host_.debug(file.path() + (file.exists() ? (file.problem() ? " cannot be used: " + *file.problem() : " read")
                                                 : " does not exist"));
    }
}

std::optional<sdk::Credential> DockerConfigSource::lookup(const sdk::CredentialQuery& query) {
    if (query.registry.empty()) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT, "docker-config was asked for credentials without a registry name");
    }
    load_files();
    const std::string registry = canonical_registry(query.registry);

    for (std::size_t i = 0; i < files_->size(); ++i) {
        const AuthFile& file = (*files_)[i];
        if (!file.exists()) {
            if (locations_[i].explicit_choice) {
                throw sdk::Error(FERRY_ERROR, "the credential file " + file.path() + " no longer exists");
            }
            continue;
        }
        if (file.problem()) {
            throw sdk::Error(FERRY_ERROR, "cannot use " + file.path() + ": " + *file.problem() +
                                              ". It is searched for credentials for " + registry +
                                              " because no earlier file has them; fix or move the file, "
                                              "or name another one with --authfile");
        }

        std::optional<sdk::Credential> credential = lookup_in_file(file, registry, query.repository);
        if (credential) {
            warn_about_unused_files(i + 1, registry, file.path());
            return credential;
        }
    }

    host_.debug("no credentials for " + registry + " in any Docker or Podman credential file");
    return std::nullopt;
}

std::optional<sdk::Credential> DockerConfigSource::lookup_in_file(const AuthFile& file, const std::string& registry,
                                                                  const std::string& repository) {
    if (std::optional<HelperChoice> helper = file.credential_helper_for(registry)) {
        std::optional<sdk::Credential> credential =
            helpers_.get(helper->name, registry, helper->key + " in " + file.path());
        if (credential) {
            credential->source_name = "docker-config (credential helper \"" + helper->name + "\")";
        }
        return credential;
    }

    if (std::optional<HelperChoice> store = file.credentials_store()) {
        std::optional<sdk::Credential> credential =
            helpers_.get(store->name, registry, store->key + " in " + file.path());
        if (credential) {
            credential->source_name = "docker-config (credential helper \"" + store->name + "\")";
            return credential;
        }
    }

    std::optional<EntryMatch> entry = file.find_entry(registry, repository);
    if (!entry) {
        return std::nullopt;
    }
    if (is_empty_credential(entry->credential)) {
        host_.debug("auths[\"" + entry->key + "\"] in " + file.path() + " is empty; looking further");
        return std::nullopt;
    }

    host_.debug("using auths[\"" + entry->key + "\"] in " + file.path() + " for " + registry);
    entry->credential.source_name = "docker-config (" + file.path() + ")";
    return std::move(entry->credential);
}

void DockerConfigSource::warn_about_unused_files(std::size_t first_unused, const std::string& registry,
                                                 const std::string& used_file) {
    for (std::size_t i = first_unused; i < files_->size(); ++i) {
        const AuthFile& file = (*files_)[i];
        if (!file.problem() || !warned_files_.insert(file.path()).second) {
            continue;
        }
        host_.warning("ignoring " + file.path() + ": " + *file.problem() + ". Credentials for " + registry +
                      " came from " + used_file + ", which is read first; fix or remove the broken file");
    }
}

} // namespace ferry::docker_config
