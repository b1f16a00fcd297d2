#include <ferry/core/copy_job.hpp>

#include <ferry/core/cancellation.hpp>
#include <ferry/core/credential_chain.hpp>
#include <ferry/core/errors.hpp>
#include <ferry/core/log.hpp>
#include <ferry/core/progress.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <unistd.h>

namespace ferry::core {
namespace {

// C views of one side, valid while the SideView lives.
struct SideView {
    ImageReference reference;
    std::string text;
    std::optional<FoundCredential> credential;
    std::string cert_dir;
    bool tls_verify = true;

    ferry_image_reference image{};
    ferry_credential c_credential{};
    ferry_side side{};

    void bind(ferry_side_role role) {
        text = reference.text();
        image = ferry_image_reference{};
        image.struct_size = sizeof(image);
        image.transport = reference.transport;
        image.text = text.c_str();
        image.registry = reference.registry.empty() ? nullptr : reference.registry.c_str();
        image.repository = reference.repository.empty() ? nullptr : reference.repository.c_str();
        image.tag = reference.tag.empty() ? nullptr : reference.tag.c_str();
        image.digest = reference.digest.empty() ? nullptr : reference.digest.c_str();
        image.path = reference.path.empty() ? nullptr : reference.path.c_str();
        image.layout_ref = reference.layout_ref.empty() ? nullptr : reference.layout_ref.c_str();

        side = ferry_side{};
        side.struct_size = sizeof(side);
        side.role = role;
        side.image = &image;
        side.tls_verify = tls_verify ? 1 : 0;
        side.cert_dir = cert_dir.empty() ? nullptr : cert_dir.c_str();
        side.credential = nullptr;
        if (credential) {
            c_credential = ferry_credential{};
            c_credential.struct_size = sizeof(c_credential);
            c_credential.username = sdk::or_null(credential->username);
            c_credential.password = sdk::or_null(credential->password.reveal());
            c_credential.identity_token = sdk::or_null(credential->identity_token.reveal());
            c_credential.registry_token = sdk::or_null(credential->registry_token.reveal());
            c_credential.source_name = credential->source_name.c_str();
            side.credential = &c_credential;
        }
    }
};

ImageReference parse_side(const std::string& text, const char* side_name) {
    try {
        return parse_reference(text);
    } catch (const ReferenceError& error) {
        throw UsageError(std::string("invalid ") + side_name + " reference: " + error.what());
    }
}

std::vector<std::string> split_platforms(const std::string& text) {
    std::vector<std::string> platforms;
    std::size_t start = 0;
    while (!text.empty() && start <= text.size()) {
        std::size_t comma = text.find(',', start);
        platforms.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return platforms;
}

void validate_references(const ImageReference& source, const ImageReference& destination) {
    if (destination.transport == FERRY_TRANSPORT_DOCKER && !destination.tag.empty() &&
        !destination.digest.empty()) {
        throw UsageError("destination " + destination.text() +
                         " has both a tag and a digest: give the tag to push to, or only the digest");
    }
    if (source.transport == FERRY_TRANSPORT_OCI_LAYOUT && destination.transport == FERRY_TRANSPORT_OCI_LAYOUT &&
        source.path == destination.path && source.layout_ref == destination.layout_ref) {
        throw UsageError("source and destination are the same layout reference " + source.text());
    }
}

std::vector<std::unique_ptr<BackendInstance>> start_backends(const PluginHost& host, const CopyOptions& options,
                                                             ProgressReporter& progress) {
    std::vector<std::shared_ptr<LoadedPlugin>> plugins;
    for (const auto& name : options.backends) {
        auto plugin = host.find(name, FERRY_PLUGIN_BACKEND);
        if (!plugin) {
            std::string available;
            for (const auto& known : host.names(FERRY_PLUGIN_BACKEND)) {
                available += (available.empty() ? "" : ", ") + known;
            }
            throw UsageError("unknown backend \"" + name + "\"; available: " +
                             (available.empty() ? "none" : available) + " (run `ferry plugins` to see load errors)");
        }
        plugins.push_back(plugin);
    }

    std::vector<std::unique_ptr<BackendInstance>> backends;
    for (const auto& plugin : plugins) {
        auto settings = options.plugin_settings.find(plugin->name());
        backends.push_back(std::make_unique<BackendInstance>(
            plugin, settings == options.plugin_settings.end() ? SettingMap{} : settings->second,
            [&progress](const std::string& item, uint64_t done, uint64_t total) {
                progress.update(item, done, total);
            }));
    }
    return backends;
}

void resolve_credentials(CredentialChain& chain, SideView& view, ferry_side_role role,
                         const std::vector<std::string>& sources) {
    if (view.reference.transport != FERRY_TRANSPORT_DOCKER) {
        return;
    }
    view.credential = chain.resolve(role, view.reference.registry, view.reference.repository, sources);
}

// Rejects a source whose tag does not point at the digest written next to it.
void check_tag_matches_digest(BackendInstance& backend, SideView& source, const SettingMap& settings) {
    SideView by_tag;
    by_tag.reference = source.reference;
    by_tag.reference.digest.clear();
    by_tag.credential = source.credential;
    by_tag.cert_dir = source.cert_dir;
    by_tag.tls_verify = source.tls_verify;
    by_tag.bind(FERRY_SIDE_SOURCE);

    std::string resolved = backend.resolve_digest(by_tag.side, settings);
    if (resolved != source.reference.digest) {
        throw CopyError("source tag " + by_tag.text + " resolves to " + resolved + ", not " +
                        source.reference.digest + "; nothing was copied. Drop the tag to copy the digest, "
                        "or drop the digest to copy what the tag points to now");
    }
    log_info("source tag " + source.reference.tag + " resolves to " + resolved + "; copying by digest");
    source.reference = source.reference.without_tag();
    source.bind(FERRY_SIDE_SOURCE);
}

} // namespace

std::string normalize_platform(const std::string& text) {
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t slash = lower.find('/', start);
        parts.push_back(lower.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    bool valid = parts.size() >= 2 && parts.size() <= 3;
    for (const auto& part : parts) {
        valid = valid && !part.empty() && part.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-") == std::string::npos;
    }
    if (!valid) {
        throw UsageError("invalid platform \"" + text + "\": write os/arch or os/arch/variant, "
                         "such as linux/amd64 or linux/arm64/v8");
    }

    // The names `uname -m` prints, as containerd's platform parser accepts them.
    const std::pair<const char*, const char*> aliases[] = {
        {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"aarch64", "arm64"}, {"i386", "386"}, {"i686", "386"}};
    for (const auto& [alias, name] : aliases) {
        if (parts[1] == alias) {
            parts[1] = name;
        }
    }

    std::string normalized = parts[0] + "/" + parts[1];
    if (parts.size() == 3) {
        normalized += "/" + parts[2];
    }
    return normalized;
}

CopyReport run_copy(const PluginHost& host, const CopyOptions& options) {
    auto started = std::chrono::steady_clock::now();

    SideView source;
    SideView destination;
    source.reference = parse_side(options.source.reference, "source");
    destination.reference = parse_side(options.destination.reference, "destination");
    validate_references(source.reference, destination.reference);
    const std::string platform = options.platform.empty() ? std::string() : normalize_platform(options.platform);

    CredentialChain chain(host, options.plugin_settings);
    chain.validate(options.source.creds_from);
    chain.validate(options.destination.creds_from);
    ProgressReporter progress(isatty(STDERR_FILENO) != 0 && !Logger::instance().github_actions());
    auto backends = start_backends(host, options, progress);

    resolve_credentials(chain, source, FERRY_SIDE_SOURCE, options.source.creds_from);
    resolve_credentials(chain, destination, FERRY_SIDE_DESTINATION, options.destination.creds_from);
    source.tls_verify = options.source.tls_verify;
    source.cert_dir = options.source.cert_dir;
    destination.tls_verify = options.destination.tls_verify;
    destination.cert_dir = options.destination.cert_dir;
    source.bind(FERRY_SIDE_SOURCE);
    destination.bind(FERRY_SIDE_DESTINATION);

    std::vector<ferry_setting> settings;
    for (const auto& [key, value] : options.copy_settings) {
        settings.push_back(ferry_setting{key.c_str(), value.c_str()});
    }
    ferry_copy_request request{};
    request.struct_size = sizeof(request);
    request.source = &source.side;
    request.destination = &destination.side;
    request.platform = platform.empty() ? nullptr : platform.c_str();
    request.settings = settings.data();
    request.setting_count = settings.size();

    CopyReport report;
    report.source = source.text;
    report.destination = destination.text;
    report.source_credentials = source.credential ? source.credential->source_name : "";
    report.destination_credentials = destination.credential ? destination.credential->source_name : "";

    for (std::size_t i = 0; i < backends.size(); ++i) {
        BackendInstance& backend = *backends[i];
        bool last = i + 1 == backends.size();
        try {
            if (!source.reference.tag.empty() && !source.reference.digest.empty()) {
                check_tag_matches_digest(backend, source, options.copy_settings);
                report.source = source.text;
            }
            log_info("copying " + source.text + " to " + destination.text + " with backend " + backend.name());
            CopyOutcome outcome = backend.copy(request);
            progress.finish();

            report.backend = backend.name();
            report.digest = outcome.digest;
            report.source_digest = outcome.source_digest.empty() ? outcome.digest : outcome.source_digest;
            report.platforms = split_platforms(outcome.platforms);
            report.bytes = outcome.bytes != 0 ? outcome.bytes : progress.bytes_done();
            report.up_to_date = outcome.up_to_date;
            break;
        } catch (const PluginError& error) {
            progress.finish();
            if (error.status() == FERRY_ERROR_CANCELLED || cancellation_requested()) {
                throw CopyError("copy interrupted: " + std::string(error.what()));
            }
            if (error.status() == FERRY_ERROR_INVALID_INPUT) {
                throw UsageError(std::string(error.what()));
            }
            if (error.status() != FERRY_ERROR_UNSUPPORTED || last) {
                throw CopyError("copying " + source.text + " to " + destination.text + ": " + error.what());
            }
            log_warning("backend " + backend.name() + " cannot do this copy (" + error.what() +
                        "); trying backend " + backends[i + 1]->name());
        }
    }

    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

} // namespace ferry::core
