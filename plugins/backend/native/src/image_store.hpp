// The two ends of a copy: where manifests and blobs are read from and written to. Registries
// and OCI layout directories implement both interfaces.
#pragma once

#include "http_client.hpp"
#include "manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ferry::native {

// A manifest exactly as received: bytes, the media type a PUT must carry, and its digest.
struct ManifestData {
    std::string bytes;
    std::string media_type;
    std::string digest;
};

// The content of one blob, delivered to a destination as a stream. A destination calls start()
// or start_at() once per attempt, read() until it returns 0, and stop() when the attempt ends,
// successful or not.
class BlobContent {
public:
    virtual ~BlobContent() = default;
    // Restarts the content so that read() delivers the blob's bytes from offset on, for an upload
    // that continues where the registry's session ended. offset <= the blob's size.
    virtual void start_at(std::uint64_t offset) = 0;
    void start() { start_at(0); }
    // Returns 0 at the verified end; throws when the content failed or did not verify.
    virtual std::size_t read(char* buffer, std::size_t size) = 0;
    virtual void stop() = 0;
};

// The way a blob reached the destination.
enum class BlobWrite { uploaded, mounted };

using BlobSink = std::function<void(const char*, std::size_t)>;

class ImageSource {
public:
    virtual ~ImageSource() = default;

    // "docker://registry/repository" or "oci:/path", for messages.
    virtual std::string describe() const = 0;

    // Checks the connection (registries: scheme and authentication). Called once, first.
    virtual void prepare(HttpClient& client) = 0;

    // Reads a manifest by tag, layout ref or digest, and verifies its digest: against reference
    // when that is a digest, and against what the registry reports.
    virtual ManifestData read_manifest(HttpClient& client, const std::string& reference) = 0;

    // Streams a blob's bytes from offset on into sink, so that a broken download can resume
    // where it stopped. The caller checks size and digest.
    virtual void read_blob(HttpClient& client, const Descriptor& blob, std::uint64_t offset,
                           const BlobSink& sink) = 0;

    // The registry and repository, when the source is a registry (for cross-repository mounts).
    virtual std::optional<std::pair<std::string, std::string>> registry_location() const = 0;
};

class ImageDestination {
public:
    virtual ~ImageDestination() = default;

    virtual std::string describe() const = 0;
    virtual void prepare(HttpClient& client) = 0;

    // The digest that reference (a tag or layout ref) points to; std::nullopt when absent.
    virtual std::optional<std::string> manifest_digest(HttpClient& client,
                                                       const std::string& reference) = 0;

    virtual bool has_blob(HttpClient& client, const Descriptor& blob) = 0;

    // Stores a blob: mounted from mount_from (another repository of the same registry) when the
    // registry accepts, uploaded from content otherwise.
    virtual BlobWrite write_blob(HttpClient& client, const Descriptor& blob,
                                 const std::optional<std::string>& mount_from, BlobContent& content) = 0;

    // Stores a manifest. tag == std::nullopt stores it by digest alone; otherwise under the tag
    // (registry) or ref name (layout; an empty name adds an unnamed index.json entry). The
    // caller writes a tag only after everything the manifest references is stored.
    virtual void write_manifest(HttpClient& client, const ManifestData& manifest,
                                const Manifest& parsed, const std::optional<std::string>& tag) = 0;

    // The registry and repository, when the destination is a registry.
    virtual std::optional<std::pair<std::string, std::string>> registry_location() const = 0;
};

} // namespace ferry::native
