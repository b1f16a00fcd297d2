#include "image_copier.hpp"

#include "blob_content.hpp"
#include "digest.hpp"
#include "layout_store.hpp"
#include "registry_store.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace ferry::native {
namespace {

// Nesting of indexes inside indexes that ferry follows; real images use one level.
constexpr int kMaxIndexDepth = 4;

// Configs are read into memory to learn a single image's platform; real ones are a few KiB.
constexpr std::uint64_t kMaxConfigBytes = 4 * 1024 * 1024;

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string text;
    for (const auto& item : items) {
        if (!text.empty()) {
            text += separator;
        }
        text += item;
    }
    return text;
}

std::string human_size(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

bool is_image_config(const std::string& media_type) {
    return media_type == media_type::kDockerConfig || media_type == media_type::kOciConfig;
}

// The tag the destination manifest goes under; std::nullopt writes it by digest alone.
std::optional<std::string> destination_tag(const ferry::sdk::ImageReference& image) {
    if (image.transport == FERRY_TRANSPORT_OCI_LAYOUT) {
        return image.layout_ref;
    }
    if (!image.tag.empty()) {
        return image.tag;
    }
    if (!image.digest.empty()) {
        return std::nullopt;
    }
    return std::string("latest");
}

Manifest parse_or_explain(const ManifestData& data, const std::string& where) {
    try {
        return parse_manifest(data.bytes, data.media_type);
    } catch (const ferry::sdk::Error& error) {
        throw ferry::sdk::Error(error.status(), "manifest " + data.digest + " in " + where + ": " + error.what());
    }
}

} // namespace

std::unique_ptr<ImageSource> open_source(const ferry::sdk::Side& side, ferry::sdk::Host host) {
    if (side.image.transport == FERRY_TRANSPORT_OCI_LAYOUT) {
        return std::make_unique<LayoutStore>(side.image.path, host);
    }
    return std::make_unique<RegistryStore>(FERRY_SIDE_SOURCE, side, host);
}

std::unique_ptr<ImageDestination> open_destination(const ferry::sdk::Side& side, ferry::sdk::Host host,
                                                   RetryPolicy* policy, std::uint64_t upload_chunk_bytes) {
    if (side.image.transport == FERRY_TRANSPORT_OCI_LAYOUT) {
        return std::make_unique<LayoutStore>(side.image.path, host, LayoutStore::Access::read_write);
    }
    return std::make_unique<RegistryStore>(FERRY_SIDE_DESTINATION, side, host, policy, upload_chunk_bytes);
}

std::string source_reference(const ferry::sdk::ImageReference& image) {
    if (!image.digest.empty()) {
        return image.digest;
    }
    if (image.transport == FERRY_TRANSPORT_OCI_LAYOUT) {
        return image.layout_ref;
    }
    return image.tag.empty() ? std::string("latest") : image.tag;
}

ImageCopier::ImageCopier(const ferry::sdk::CopyRequest& request, ferry::sdk::Host host,
                         BlobLocations& locations)
    : request_(request), host_(host), locations_(locations),
      options_(TransferOptions::from(request.settings)), policy_(options_.retry_times, options_.retry_delay, RetryPolicy::kDefaultMaxDelay,
              options_.transfer.deadline),
      source_tls_(TlsConfig::load(request.source.tls_verify, request.source.cert_dir)),
      destination_tls_(TlsConfig::load(request.destination.tls_verify, request.destination.cert_dir)),
      source_(open_source(request.source, host)),
      destination_(open_destination(request.destination, host, &policy_, options_.upload_chunk_bytes)) {
    source_client_ = &worker(0).source;
    destination_client_ = &worker(0).destination;
}

ferry::sdk::CopyOutcome ImageCopier::run() {
    // An invalid platform is an input error, so it is reported before any request.
    if (!request_.platform.empty()) {
        requested_platform_ = Platform::parse(request_.platform);
        if (!requested_platform_) {
            throw ferry::sdk::Error(FERRY_ERROR_INVALID_INPUT, "invalid platform \"" + request_.platform +
                                                                   "\": expected os/architecture[/variant]");
        }
    }

    retrying([&] { source_->prepare(*source_client_); });
    retrying([&] { destination_->prepare(*destination_client_); });

    const auto reference = source_reference(request_.source.image);
    top_ = retrying([&] { return source_->read_manifest(*source_client_, reference); });
    top_parsed_ = parse_or_explain(top_, source_->describe());
    select_platform();

    const auto& target = request_.destination.image;
    // A mismatch shows only after the source was read, so it is a copy failure, not an input error.
    if (!target.digest.empty() && target.tag.empty() && target.digest != top_.digest) {
        throw ferry::sdk::Error(FERRY_ERROR,
                                "the destination names digest " + target.digest + " but the source manifest has digest " +
                                    top_.digest + "; drop the digest from the destination or fix it");
    }

    ferry::sdk::CopyOutcome outcome;
    outcome.digest = top_.digest;
    outcome.source_digest = top_.digest;

    // A destination without a tag is checked under the digest it will get.
    const auto tag = destination_tag(target);
    const auto& lookup = tag ? *tag : top_.digest;
    // "force" skips the check: blobs are still checked one by one, so only missing ones move.
    const bool force = request_.settings.get("force") == std::optional<std::string>("true");
    if (!force && (tag || destination_->registry_location())) {
        const auto existing = retrying([&] { return destination_->manifest_digest(*destination_client_, lookup); });
        if (existing == top_.digest) {
            const auto where = !tag ? "@" + top_.digest : tag->empty() ? std::string() : ":" + *tag;
            host_.info(destination_->describe() + where + " is up to date: it already has " + top_.digest);
            outcome.platforms = join(platforms(), ",");
            outcome.up_to_date = true;
            return outcome;
        }
    }

    plan(top_parsed_, 0);
    outcome.platforms = join(platforms(), ",");
    copy_blobs();
    write_manifests();

    outcome.bytes = bytes_copied_.load();
    host_.info("copied " + top_.digest + " to " + destination_->describe() +
               (tag && !tag->empty() ? ":" + *tag : std::string()) + " (" + human_size(outcome.bytes) +
               " of blobs transferred)");
    return outcome;
}

void ImageCopier::select_platform() {
    if (!requested_platform_) {
        return;
    }
    if (top_parsed_.type.kind != ManifestKind::index) {
        check_single_platform(*requested_platform_);
        return;
    }

    std::vector<std::string> available;
    for (const auto& child : top_parsed_.manifests) {
        if (!child.platform) {
            continue;
        }
        if (child.platform->matches(*requested_platform_)) {
            host_.info("copying only " + child.platform->to_string() + " (" + child.digest + ")");
            top_ = retrying([&] { return source_->read_manifest(*source_client_, child.digest); });
            top_parsed_ = parse_or_explain(top_, source_->describe());
            return;
        }
        available.push_back(child.platform->to_string());
    }
    throw ferry::sdk::Error(FERRY_ERROR, "platform " + request_.platform + " is not in " + source_->describe() +
                                             " (" + top_.digest + "); available: " + join(available, ", "));
}

void ImageCopier::check_single_platform(const Platform& requested) {
    const auto found = read_config_platform();
    if (!found) {
        // An artifact or a config without os and architecture has no platform to compare. The
        // user named one, so warn that it did not select anything.
        host_.warning("the config of " + source_->describe() + " (" + top_.digest +
                      ") names no platform, so --platform " + requested.to_string() +
                      " selects nothing; copying the whole image");
        return;
    }
    if (!found->matches(requested)) {
        throw ferry::sdk::Error(FERRY_ERROR, "the source " + source_->describe() + " (" + top_.digest +
                                                 ") is a single " + found->to_string() + " image, not " +
                                                 requested.to_string() + "; copy it without a platform");
    }
}

void ImageCopier::plan(const Manifest& manifest, int depth) {
    if (manifest.type.kind == ManifestKind::image) {
        plan_image_blobs(manifest);
        return;
    }
    if (depth >= kMaxIndexDepth) {
        throw ferry::sdk::Error(FERRY_ERROR, "indexes nested more than " + std::to_string(kMaxIndexDepth) +
                                                 " deep in " + source_->describe());
    }

    // Children are fetched in parallel: on a long link each one costs a round trip.
    std::vector<ManifestData> fetched(manifest.manifests.size());
    run_parallel(fetched.size(), [&](std::size_t index, Worker& worker) {
        fetched[index] = retrying(
            [&] { return source_->read_manifest(worker.source, manifest.manifests[index].digest); });
    });

    for (std::size_t index = 0; index < fetched.size(); ++index) {
        const auto& child = manifest.manifests[index];
        auto data = std::move(fetched[index]);
        if (data.bytes.size() != child.size) {
            throw ferry::sdk::Error(FERRY_ERROR, "manifest " + child.digest + " in " + source_->describe() + " has " +
                                                     std::to_string(data.bytes.size()) + " bytes, but its index states " +
                                                     std::to_string(child.size));
        }
        auto parsed = parse_or_explain(data, source_->describe());
        plan(parsed, depth + 1);
        children_.push_back(PlannedManifest{std::move(data), std::move(parsed)});
    }
}

void ImageCopier::plan_image_blobs(const Manifest& manifest) {
    std::set<std::string> seen;
    for (const auto& blob : blobs_) {
        seen.insert(blob.digest);
    }

    auto add = [&](const Descriptor& blob) {
        if (blob.is_foreign()) {
            host_.info("not copying foreign layer " + blob.digest + " (served from " + blob.urls.front() + ")");
            return;
        }
        if (seen.insert(blob.digest).second) {
            blobs_.push_back(blob);
        }
    };

    if (manifest.config) {
        add(*manifest.config);
    }
    for (const auto& layer : manifest.layers) {
        add(layer);
    }
    std::stable_sort(blobs_.begin(), blobs_.end(),
                     [](const Descriptor& a, const Descriptor& b) { return a.size > b.size; });
}

std::vector<std::string> ImageCopier::platforms() {
    std::vector<std::string> result;
    if (top_parsed_.type.kind == ManifestKind::index) {
        for (const auto& child : top_parsed_.manifests) {
            if (child.platform && !child.platform->os.empty()) {
                result.push_back(child.platform->to_string());
            }
        }
        return result;
    }

    if (const auto platform = read_config_platform()) {
        result.push_back(platform->to_string());
    }
    return result;
}

std::optional<Platform> ImageCopier::read_config_platform() {
    // A single image names its platform in its config. The upload reuses the bytes read here,
    // so learning the platform costs no extra request.
    const auto& config = top_parsed_.config;
    if (!config || !is_image_config(config->media_type) || config->size > kMaxConfigBytes) {
        return std::nullopt;
    }
    auto found = memory_blobs_.find(config->digest);
    if (found == memory_blobs_.end()) {
        std::string bytes = retrying([&] {
            std::string content;
            source_->read_blob(*source_client_, *config, 0, [&](const char* data, std::size_t size) {
                if (content.size() + size > config->size) {
                    throw ferry::sdk::Error(FERRY_ERROR, "config " + config->digest + " in " + source_->describe() +
                                                             " is larger than its descriptor states");
                }
                content.append(data, size);
            });
            return content;
        });
        if (compute_digest(bytes, parse_digest(config->digest)->algorithm) != config->digest) {
            throw ferry::sdk::Error(FERRY_ERROR, "config " + config->digest + " in " + source_->describe() +
                                                     " does not match its digest; the source is corrupt");
        }
        found = memory_blobs_.emplace(config->digest, std::move(bytes)).first;
    }
    return parse_config_platform(found->second);
}

std::optional<std::string> ImageCopier::mount_candidate(const Descriptor& blob) const {
    const auto target = destination_->registry_location();
    if (!target) {
        return std::nullopt;
    }
    if (auto known = locations_.find(target->first, blob.digest, target->second)) {
        return known;
    }
    const auto origin = source_->registry_location();
    if (origin && origin->first == target->first && origin->second != target->second) {
        return origin->second;
    }
    return std::nullopt;
}

void ImageCopier::copy_blob(HttpClient& source_client, HttpClient& destination_client,
                            const Descriptor& blob) {
    if (host_.cancelled()) {
        throw ferry::sdk::Error(FERRY_ERROR_CANCELLED, "cancelled");
    }
    const auto target = destination_->registry_location();
    auto remember = [&] {
        if (target) {
            locations_.record(target->first, blob.digest, target->second);
        }
    };

    if (retrying([&] { return destination_->has_blob(destination_client, blob); })) {
        // No progress report: the host counts reported bytes as transferred ones.
        host_.debug("blob " + blob.digest + " already exists in " + destination_->describe());
        remember();
        return;
    }

    const auto mount_from = mount_candidate(blob);
    std::unique_ptr<BlobContent> content;
    const auto in_memory = memory_blobs_.find(blob.digest);
    if (in_memory != memory_blobs_.end()) {
        content = std::make_unique<MemoryBlobContent>(in_memory->second);
    } else {
        content = std::make_unique<PipedBlobContent>(*source_, source_client, blob, host_, policy_);
    }

    // A retry first checks whether the failed attempt stored the blob after all (a lost response),
    // so a completed blob is never sent again.
    bool first_attempt = true;
    const auto result = retrying([&]() -> std::optional<BlobWrite> {
        if (!std::exchange(first_attempt, false) && destination_->has_blob(destination_client, blob)) {
            return std::nullopt;
        }
        return destination_->write_blob(destination_client, blob, mount_from, *content);
    });
    if (result == BlobWrite::mounted) {
        host_.info("mounted blob " + blob.digest + " from " + *mount_from);
    } else {
        bytes_copied_ += blob.size;
        host_.debug("copied blob " + blob.digest + " (" + human_size(blob.size) + ")" +
                    (result ? "" : "; a failed attempt had stored it already"));
    }
    remember();
}

void ImageCopier::copy_blobs() {
    run_parallel(blobs_.size(), [&](std::size_t index, Worker& worker) {
        copy_blob(worker.source, worker.destination, blobs_[index]);
    });
}

ImageCopier::Worker& ImageCopier::worker(std::size_t index) {
    std::lock_guard lock(workers_mutex_);
    while (workers_.size() <= index) {
        workers_.push_back(std::make_unique<Worker>(source_tls_, destination_tls_, options_.transfer, host_));
    }
    return *workers_[index];
}

void ImageCopier::run_parallel(std::size_t count, const std::function<void(std::size_t, Worker&)>& task) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::exception_ptr first_error;

    auto work = [&](std::size_t worker_index) {
        try {
            Worker& clients = worker(worker_index);
            while (!failed) {
                const std::size_t index = next++;
                if (index >= count) {
                    return;
                }
                task(index, clients);
            }
        } catch (...) {
            std::lock_guard lock(error_mutex);
            if (!first_error) {
                first_error = std::current_exception();
            }
            failed = true;
        }
    };

    // Worker 0 runs on this thread. Every worker keeps its handles, and so its connections,
    // for the whole copy.
    const auto workers = std::min<std::size_t>(static_cast<std::size_t>(options_.jobs), count);
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < workers; ++i) {
        threads.emplace_back(work, i);
    }
    work(0);
    for (auto& thread : threads) {
        thread.join();
    }

    if (first_error) {
        std::rethrow_exception(first_error);
    }
}

void ImageCopier::write_manifests() {
    for (const auto& child : children_) {
        retrying([&] { destination_->write_manifest(*destination_client_, child.data, child.parsed, std::nullopt); });
    }
    const auto tag = destination_tag(request_.destination.image);
    retrying([&] { destination_->write_manifest(*destination_client_, top_, top_parsed_, tag); });
}

} // namespace ferry::native
