#include "skopeo_backend.hpp"

#include "command_line.hpp"
#include "skopeo_failure.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace ferry::skopeo {

namespace {

constexpr int kDefaultRetryTimes = 3;
constexpr int kMaxRetryTimes = 100;

void require_known_transport(const sdk::Side& side, const char* label) {
    const auto transport = side.image.transport;
    if (transport != FERRY_TRANSPORT_DOCKER && transport != FERRY_TRANSPORT_OCI_LAYOUT) {
        throw sdk::Error(FERRY_ERROR_UNSUPPORTED,
                         std::string("the skopeo backend cannot reach the ") + label + " \"" +
                             side.image.text + "\": unknown transport " +
                             std::to_string(static_cast<int>(transport)));
    }
}

// Returns the digest the destination contains after a successful copy: the source digest, or the
// chosen child's digest when a platform is given.
std::string expected_digest(const Manifest& manifest, const std::string& source_digest,
                            const std::optional<Platform>& platform,
                            const std::string& source_text) {
    if (!platform || !manifest.is_index) {
        return source_digest;
    }
    const IndexEntry* entry = select_platform(manifest, *platform);
    if (entry == nullptr) {
        std::string available = platform_list(manifest);
        throw sdk::Error(FERRY_ERROR, "the source " + source_text + " has no " + platform->text() +
                                          " image; it has: " +
                                          (available.empty() ? "no platforms" : available));
    }
    return entry->digest;
}

std::string read_digest_file(const std::string& path, const std::string& step) {
    std::ifstream file(path);
    std::stringstream content;
    content << file.rdbuf();
    std::string digest = content.str();
    while (!digest.empty() && std::isspace(static_cast<unsigned char>(digest.back()))) {
        digest.pop_back();
    }

    static const std::regex valid("^sha256:[0-9a-f]{64}$");
    if (!std::regex_match(digest, valid)) {
        throw sdk::Error(FERRY_ERROR, step + ": skopeo succeeded but wrote no manifest digest to " +
                                          path + "; check that this skopeo supports --digestfile");
    }
    return digest;
}

} // namespace

SkopeoBackend::SkopeoBackend(sdk::Host host, sdk::Settings settings)
    : host_(host), settings_(std::move(settings)) {}

std::optional<std::string> SkopeoBackend::setting(const sdk::Settings& request,
                                                  const char* key) const {
    if (auto value = request.get(key)) {
        return value;
    }
    return settings_.get(key);
}

int SkopeoBackend::retry_times(const sdk::Settings& request) const {
    const auto text = setting(request, "retry-times");
    if (!text) {
        return kDefaultRetryTimes;
    }

    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(text->c_str(), &end, 10);
    const bool valid = !text->empty() && end != nullptr && *end == '\0' && errno == 0 &&
                       value >= 0 && value <= kMaxRetryTimes;
    if (!valid) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "invalid retry-times \"" + *text + "\": expected a whole number from 0 to " +
                             std::to_string(kMaxRetryTimes));
    }
    return static_cast<int>(value);
}

std::optional<double> SkopeoBackend::seconds_setting(const sdk::Settings& request, const char* key) const {
    const auto text = setting(request, key);
    if (!text || text->empty()) {
        return std::nullopt;
    }

    constexpr double kMaximum = 7 * 24 * 3600;
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text->c_str(), &end);
    if (end == nullptr || *end != '\0' || errno != 0 || !(value >= 0) || value > kMaximum) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT, std::string("invalid ") + key + " \"" + *text +
                                                        "\": expected seconds from 0 to " +
                                                        std::to_string(static_cast<long>(kMaximum)));
    }
    return value;
}

std::unique_ptr<core::RetryPolicy> SkopeoBackend::rerun_policy(const sdk::Settings& request) const {
    auto base = core::RetryPolicy::kDefaultBaseDelay;
    if (const auto delay = seconds_setting(request, "retry-delay")) {
        base = std::chrono::milliseconds(std::llround(*delay * 1000));
    }
    std::optional<core::RetryPolicy::Clock::time_point> deadline;
    if (const auto seconds = seconds_setting(request, "deadline"); seconds && *seconds > 0) {
        deadline = core::RetryPolicy::Clock::now() + std::chrono::milliseconds(std::llround(*seconds * 1000));
    }
    return std::make_unique<core::RetryPolicy>(retry_times(request), base, core::RetryPolicy::kDefaultMaxDelay,
                                               deadline);
}

const SkopeoTool& SkopeoBackend::tool(SkopeoSession& session, const sdk::Settings& request) {
    const char* search_path = std::getenv("PATH");
    const std::string path =
        locate_skopeo(setting(request, "skopeo-path"), search_path == nullptr ? "" : search_path);

    auto cached = tools_.find(path);
    if (cached != tools_.end()) {
        return cached->second;
    }

    const std::string step = "reading the version of " + path;
    const std::string output = session.run_checked(step, version_arguments(path));
    const auto version = parse_skopeo_version(output);
    if (!version) {
        throw sdk::Error(FERRY_ERROR_UNSUPPORTED,
                         step + ": cannot find a version in \"" + output.substr(0, 200) +
                             "\"; check that skopeo-path names skopeo");
    }
    if (*version < kOldestSupportedVersion) {
        throw sdk::Error(FERRY_ERROR_UNSUPPORTED,
                         "skopeo " + version->text() + " at " + path + " is older than " +
                             kOldestSupportedVersion.text() +
                             ", the oldest release the skopeo backend supports; upgrade skopeo "
                             "or use --backend native");
    }

    SkopeoTool found{path, *version, capabilities_of(*version)};
    host_.debug("using " + path + ", version " + version->text() +
                (found.capabilities.multi_arch_flag ? "" : " (no --multi-arch, using --all)") +
                (found.capabilities.preserve_digests ? "" : " (no --preserve-digests)"));
    return tools_.emplace(path, found).first->second;
}

std::string SkopeoBackend::copied_platforms(SkopeoSession& session, const SkopeoTool& tool,
                                            const SideAccess& source,
                                            const std::string& source_text,
                                            const Manifest& manifest,
                                            const std::optional<Platform>& platform, int retries) {
    if (manifest.is_index) {
        if (!platform) {
            return platform_list(manifest);
        }
        const IndexEntry* entry = select_platform(manifest, *platform);
        return entry != nullptr && entry->platform ? entry->platform->text() : platform->text();
    }
    if (!is_image_config(manifest.config_media_type)) {
        return std::string();
    }

    const std::string step = "reading the image config of " + source_text;
    const std::string config = session.run_checked(step, inspect_arguments(tool, source, retries, true));
    const auto found = platform_of_config(config);
    if (!found) {
        host_.debug(step + ": the config names no os and architecture");
        return std::string();
    }

    const bool mismatch = platform && (found->os != platform->os ||
                                       found->architecture != platform->architecture ||
                                       (!platform->variant.empty() &&
                                        found->variant != platform->variant));
    if (mismatch) {
        throw sdk::Error(FERRY_ERROR, "the source " + source_text + " is a single " +
                                          found->text() + " image, not " + platform->text() +
                                          "; copy it without a platform");
    }
    return found->text();
}

std::optional<std::string> SkopeoBackend::destination_digest(SkopeoSession& session,
                                                             const SkopeoTool& tool,
                                                             const SideAccess& destination,
                                                             const std::string& destination_text,
                                                             int retries) {
    const std::string step = "inspecting destination " + destination_text;
    ProcessResult result = session.run_with_reruns(step, inspect_arguments(tool, destination, retries));
    if (result.succeeded()) {
        return sha256_digest(result.out);
    }

    const std::string reason = failure_reason(result.err);
    if (is_not_found(reason)) {
        host_.debug(step + ": not there yet (" + redact(reason, session.secrets()) + ")");
        return std::nullopt;
    }
    throw failure_error(step, result, session.secrets());
}

// Settings that only the native backend uses reach this backend too, when the user names them
// and skopeo runs; saying so beats ignoring them quietly.
void SkopeoBackend::warn_native_only_settings(const sdk::Settings& settings) const {
    for (const char* key : {"upload-chunk-size", "jobs", "force-http1"}) {
        if (settings.get(key)) {
            host_.warning(std::string("--") + key + " applies to the native backend only; skopeo ignores it");
        }
    }
}

sdk::CopyOutcome SkopeoBackend::copy(const sdk::CopyRequest& request) {
    require_known_transport(request.source, "source");
    require_known_transport(request.destination, "destination");
    std::optional<Platform> platform;
    if (!request.platform.empty()) {
        platform = Platform::parse(request.platform);
    }
    warn_native_only_settings(request.settings);
    const int retries = retry_times(request.settings);
    const std::string& source_text = request.source.image.text;
    const std::string& destination_text = request.destination.image.text;

    const auto policy = rerun_policy(request.settings);
    SkopeoSession session(host_, policy.get());
    const SkopeoTool& skopeo = tool(session, request.settings);
    const SideAccess source = session.prepare(request.source, "source");
    const SideAccess destination = session.prepare(request.destination, "destination");

    sdk::CopyOutcome outcome;
    const std::string raw = session.run_checked("inspecting source " + source_text,
                                                inspect_arguments(skopeo, source, retries));
    outcome.source_digest = sha256_digest(raw);
    const Manifest manifest = parse_manifest(raw);
    const std::string expected = expected_digest(manifest, outcome.source_digest, platform,
                                                 source_text);
    outcome.platforms =
        copied_platforms(session, skopeo, source, source_text, manifest, platform, retries);

    // Held from the destination check to the end of the copy, so that the index.json skopeo reads
    // is still the current one when it writes it back.
    std::optional<LayoutLock> layout_lock;
    if (request.destination.image.transport == FERRY_TRANSPORT_OCI_LAYOUT) {
        layout_lock.emplace(session.lock_layout(request.destination.image.path));
    }

    // "force" skips the check; skopeo then checks each blob and writes the manifests again.
    const bool force = request.settings.get("force") == std::optional<std::string>("true");
    const auto existing = force ? std::nullopt
                                : destination_digest(session, skopeo, destination, destination_text, retries);
    if (existing && *existing == expected) {
        host_.debug(destination_text + " already has " + expected + "; skipping the copy");
        outcome.digest = expected;
        outcome.up_to_date = true;
        return outcome;
    }

    CopyOptions options;
    options.policy_file = session.policy_file();
    options.digest_file = session.file("digest");
    options.platform = platform;
    options.retry_times = retries;
    const std::string step = "copying " + source_text + " to " + destination_text;
    session.run_checked(step, copy_arguments(skopeo, source, destination, options));

    outcome.digest = read_digest_file(options.digest_file, step);
    if (outcome.digest != expected) {
        host_.warning(destination_text + " has digest " + outcome.digest +
                      ", not the source's " + expected + ": skopeo " + skopeo.version.text() +
                      " rewrote the manifest");
    }
    return outcome;
}

std::string SkopeoBackend::resolve_digest(const sdk::Side& side, const sdk::Settings& settings) {
    const char* label = side.role == FERRY_SIDE_DESTINATION ? "destination" : "source";
    require_known_transport(side, label);
    const int retries = retry_times(settings);

    const auto policy = rerun_policy(settings);
    SkopeoSession session(host_, policy.get());
    const SkopeoTool& skopeo = tool(session, settings);
    const SideAccess access = session.prepare(side, label);
    const std::string raw = session.run_checked(
        std::string("inspecting ") + label + " " + side.image.text,
        inspect_arguments(skopeo, access, retries));
    return sha256_digest(raw);
}

void SkopeoBackend::check_credentials(const sdk::Side& side, const sdk::Settings& settings) {
    if (side.image.transport != FERRY_TRANSPORT_DOCKER || !side.credential) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT, "checking credentials needs a registry and credentials");
    }
    if (!side.credential->registry_token.empty()) {
        throw sdk::Error(FERRY_ERROR_UNSUPPORTED, "skopeo cannot check a registry token; use --backend native");
    }

    sdk::Side registry_side = side;
    if (registry_side.image.repository.empty()) {
        // skopeo's image name needs a repository; login looks at the registry part only.
        registry_side.image.repository = "ferry/login-check";
    }
    SkopeoSession session(host_);
    const SkopeoTool& skopeo = tool(session, settings);
    const SideAccess access = session.prepare(registry_side, "registry");
    const auto argv = login_check_arguments(skopeo, access, side.image.registry);
    const std::string step = "checking credentials at " + side.image.registry;
    const ProcessResult result = session.run(step, argv);
    if (result.succeeded()) {
        return;
    }
    // skopeo prints this, then fails to prompt for a user name because its stdin is /dev/null.
    if (result.out.find("Existing credentials are invalid") != std::string::npos) {
        throw sdk::Error(FERRY_ERROR, "the registry " + side.image.registry + " rejected the credentials of user \"" +
                                          side.credential->username + "\"; check the user name and password");
    }
    throw failure_error(step, result, session.secrets());
}

} // namespace ferry::skopeo
