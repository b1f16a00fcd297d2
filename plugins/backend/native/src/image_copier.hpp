// One copy from a source to a destination: reads the manifests, copies the blobs in parallel,
// then writes child manifests before their index and the tag last, so that a tag never points
// at an image whose parts are missing.
#pragma once

#include "blob_locations.hpp"
#include "image_store.hpp"
#include "retry_loop.hpp"
#include "transfer_options.hpp"

#include <ferry/sdk.hpp>

#include <atomic>
#include <functional>
#include <mutex>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ferry::native {

std::unique_ptr<ImageSource> open_source(const ferry::sdk::Side& side, ferry::sdk::Host host);
// policy, when given, lets a registry destination resume streamed uploads; upload_chunk_bytes
// sizes its PATCH requests (see RegistryStore).
std::unique_ptr<ImageDestination> open_destination(const ferry::sdk::Side& side, ferry::sdk::Host host,
                                                   RetryPolicy* policy = nullptr,
                                                   std::uint64_t upload_chunk_bytes = kDefaultUploadChunkBytes);

// The manifest reference of a source: its digest, else its tag or layout ref. A registry
// reference without either means "latest"; a layout without either must contain one image.
std::string source_reference(const ferry::sdk::ImageReference& image);

class ImageCopier {
public:
    ImageCopier(const ferry::sdk::CopyRequest& request, ferry::sdk::Host host, BlobLocations& locations);

    ferry::sdk::CopyOutcome run();

private:
    struct PlannedManifest {
        ManifestData data;
        Manifest parsed;
    };

    // The libcurl handles of one parallel worker.
    struct Worker {
        Worker(const TlsConfig& source_tls, const TlsConfig& destination_tls, const TransferSettings& settings,
               ferry::sdk::Host host)
            : source(source_tls, settings, host), destination(destination_tls, settings, host) {}
        HttpClient source;
        HttpClient destination;
    };

    template <typename Operation>
    auto retrying(Operation&& operation) -> decltype(operation()) {
        return with_retries(policy_, host_, std::forward<Operation>(operation));
    }

    void select_platform();
    // Throws FERRY_ERROR when the single image's config names a platform other than requested.
    void check_single_platform(const Platform& requested);
    // The platform in the single image's config, read once and kept for the upload.
    std::optional<Platform> read_config_platform();
    void plan(const Manifest& manifest, int depth);
    void plan_image_blobs(const Manifest& manifest);
    std::vector<std::string> platforms();
    void copy_blobs();
    Worker& worker(std::size_t index);
    // Runs task(index, worker) for every index below count on up to `jobs` workers, and
    // rethrows the first failure once all have stopped.
    void run_parallel(std::size_t count, const std::function<void(std::size_t, Worker&)>& task);
    void copy_blob(HttpClient& source_client, HttpClient& destination_client, const Descriptor& blob);
    std::optional<std::string> mount_candidate(const Descriptor& blob) const;
    void write_manifests();

    const ferry::sdk::CopyRequest& request_;
    ferry::sdk::Host host_;
    BlobLocations& locations_;
    TransferOptions options_;
    RetryPolicy policy_;
    TlsConfig source_tls_;
    TlsConfig destination_tls_;
    std::unique_ptr<ImageSource> source_;
    std::unique_ptr<ImageDestination> destination_;
    std::mutex workers_mutex_;
    std::vector<std::unique_ptr<Worker>> workers_; // worker 0 also serves the steps before and after
    HttpClient* source_client_ = nullptr;
    HttpClient* destination_client_ = nullptr;

    std::optional<Platform> requested_platform_; // from --platform, parsed before any request
    ManifestData top_;
    Manifest top_parsed_;
    std::vector<PlannedManifest> children_;      // children before parents
    std::vector<Descriptor> blobs_;              // distinct blobs, largest first
    std::map<std::string, std::string> memory_blobs_; // digest -> verified bytes
    std::atomic<std::uint64_t> bytes_copied_{0};
};

} // namespace ferry::native
