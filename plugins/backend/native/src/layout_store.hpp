// An OCI image layout directory (oci-layout, index.json, blobs/<algorithm>/<hex>) as a source
// or destination. Names in index.json are the org.opencontainers.image.ref.name annotation.
//
// Writes are crash-safe: blobs go to a temporary file that is renamed into place only after its
// digest and size are checked, and index.json is replaced by rename, so readers see either the
// old or the new index. Every update of index.json holds an exclusive flock on the layout
// directory, so parallel copies into one layout (threads or processes) keep each other's tags.
#pragma once

#include "image_store.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace ferry::native {

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

class LayoutStore : public ImageSource, public ImageDestination {
public:
    // read_write: prepare() creates the directory, oci-layout and an empty index.json when they
    // are missing, so a copy that fails later still leaves a valid layout.
    enum class Access { read_only, read_write };

    LayoutStore(std::filesystem::path root, ferry::sdk::Host host, Access access = Access::read_only);

    std::string describe() const override;
    void prepare(HttpClient& client) override;

    // reference: a digest, a ref name, or empty for a layout that holds exactly one manifest.
    ManifestData read_manifest(HttpClient& client, const std::string& reference) override;
    void read_blob(HttpClient& client, const Descriptor& blob, std::uint64_t offset,
                   const BlobSink& sink) override;

    std::optional<std::string> manifest_digest(HttpClient& client, const std::string& reference) override;
    bool has_blob(HttpClient& client, const Descriptor& blob) override;
    BlobWrite write_blob(HttpClient& client, const Descriptor& blob,
                         const std::optional<std::string>& mount_from, BlobContent& content) override;
    void write_manifest(HttpClient& client, const ManifestData& manifest, const Manifest& parsed,
                        const std::optional<std::string>& tag) override;

    std::optional<std::pair<std::string, std::string>> registry_location() const override {
        return std::nullopt;
    }

private:
    void create_layout();
    std::filesystem::path blob_path(const std::string& digest) const;
    bool blob_present(const std::string& digest, std::uint64_t size) const;
    nlohmann::json read_index() const;
    void write_index(const nlohmann::json& index);
    void write_file_atomically(const std::filesystem::path& target, std::string_view bytes);
    std::string temporary_name(const std::filesystem::path& target);

    std::filesystem::path root_;
    ferry::sdk::Host host_;
    Access access_;
};

} // namespace ferry::native
