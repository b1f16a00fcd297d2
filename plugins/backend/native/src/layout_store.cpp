#include "layout_store.hpp"

#include "digest.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace ferry::native {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kReadChunkBytes = 1024 * 1024;

[[noreturn]] void fail(const std::string& message) { throw ferry::sdk::Error(FERRY_ERROR, message); }

std::string read_whole_file(const fs::path& path, std::size_t limit) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        fail("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    std::string content;
    std::vector<char> buffer(64 * 1024);
    while (stream.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || stream.gcount() > 0) {
        content.append(buffer.data(), static_cast<std::size_t>(stream.gcount()));
        if (content.size() > limit) {
            fail(path.string() + " is larger than " + std::to_string(limit) + " bytes");
        }
    }
    return content;
}

// A file descriptor closed on scope exit.
class FileHandle {
public:
    explicit FileHandle(int descriptor) : descriptor_(descriptor) {}
    ~FileHandle() {
        if (descriptor_ >= 0) {
            ::close(descriptor_);
        }
    }
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    int get() const { return descriptor_; }

    // Closes now and reports a failure, which for written files can mean lost data.
    bool close() {
        const int descriptor = descriptor_;
        descriptor_ = -1;
        return ::close(descriptor) == 0;
    }

private:
    int descriptor_;
};

void write_all(int descriptor, const char* data, std::size_t size, const fs::path& path) {
    while (size > 0) {
        const auto written = ::write(descriptor, data, size);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("cannot write " + path.string() + ": " + std::strerror(errno));
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

// An exclusive flock on the layout directory, held while index.json is read, changed and
// replaced. flock locks belong to an open file description, so the lock serialises threads of
// one process as well as separate ferry processes.
class IndexLock {
public:
    explicit IndexLock(const fs::path& root) : directory_(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        if (directory_.get() < 0) {
            fail("cannot open " + root.string() + " to lock index.json: " + std::strerror(errno));
        }
        while (::flock(directory_.get(), LOCK_EX) != 0) {
            if (errno != EINTR) {
                fail("cannot lock " + root.string() + " to update index.json: " + std::strerror(errno));
            }
        }
    }
    // Closing the descriptor releases the lock.

private:
    FileHandle directory_;
};

std::string ref_name(const json& descriptor) {
    const auto annotations = descriptor.find("annotations");
    if (annotations == descriptor.end() || !annotations->is_object()) {
        return {};
    }
    const auto name = annotations->find(kRefNameAnnotation);
    return name != annotations->end() && name->is_string() ? name->get<std::string>() : std::string();
}

std::string string_member(const json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

} // namespace

LayoutStore::LayoutStore(fs::path root, ferry::sdk::Host host, Access access)
    : root_(std::move(root)), host_(host), access_(access) {}

std::string LayoutStore::describe() const { return "oci:" + root_.string(); }

void LayoutStore::prepare(HttpClient&) {
    if (access_ == Access::read_write) {
        create_layout();
    }
}

void LayoutStore::create_layout() {
    std::error_code error;
    fs::create_directories(root_, error);
    if (error) {
        fail("cannot create the layout directory " + root_.string() + ": " + error.message());
    }
    if (!fs::exists(root_ / "oci-layout")) {
        write_file_atomically(root_ / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    }

    // Checked under the lock, so a concurrent copy's index.json is never replaced by an empty one.
    IndexLock lock(root_);
    if (!fs::exists(root_ / "index.json")) {
        write_index(json{{"schemaVersion", 2}, {"manifests", json::array()}});
    }
}

fs::path LayoutStore::blob_path(const std::string& digest) const {
    const auto parsed = parse_digest(digest);
    if (!parsed) {
        fail("invalid digest \"" + digest + "\"");
    }
    return root_ / "blobs" / parsed->algorithm / parsed->hex;
}

json LayoutStore::read_index() const {
    const auto path = root_ / "index.json";
    if (!fs::exists(path)) {
        return json::object();
    }
    auto index = json::parse(read_whole_file(path, kMaxManifestBytes), nullptr, false);
    if (index.is_discarded() || !index.is_object()) {
        fail(path.string() + " is not a JSON object; repair or remove it");
    }
    return index;
}

ManifestData LayoutStore::read_manifest(HttpClient&, const std::string& reference) {
    const auto index = read_index();
    if (!index.contains("manifests") || !index["manifests"].is_array()) {
        fail(describe() + " has no index.json with manifests; is it an OCI image layout?");
    }

    const json* chosen = nullptr;
    std::vector<std::string> names;
    const bool by_digest = parse_digest(reference).has_value();
    for (const auto& entry : index["manifests"]) {
        const auto name = ref_name(entry);
        if (!name.empty()) {
            names.push_back(name);
        }
        if ((by_digest && string_member(entry, "digest") == reference) ||
            (!by_digest && !reference.empty() && name == reference)) {
            chosen = &entry;
            break;
        }
    }
    if (!by_digest && reference.empty() && index["manifests"].size() == 1) {
        chosen = &index["manifests"][0];
    }

    ManifestData manifest;
    if (chosen == nullptr && !by_digest) {
        std::string available;
        for (const auto& name : names) {
            available += (available.empty() ? "" : ", ") + name;
        }
        fail(reference.empty() ? describe() + " holds several images; name one of: " + available
                               : "no image named \"" + reference + "\" in " + describe() +
                                     (available.empty() ? "" : "; it holds: " + available));
    }

    manifest.digest = chosen != nullptr ? string_member(*chosen, "digest") : reference;
    manifest.bytes = read_whole_file(blob_path(manifest.digest), kMaxManifestBytes);

    const auto computed = compute_digest(manifest.bytes, parse_digest(manifest.digest)->algorithm);
    if (computed != manifest.digest) {
        fail("manifest " + manifest.digest + " in " + describe() + " has digest " + computed +
             "; the layout is corrupt");
    }

    const auto declared = chosen != nullptr ? string_member(*chosen, "mediaType") : std::string();
    manifest.media_type = detect_manifest_type(declared, manifest.bytes).media_type;
    return manifest;
}

void LayoutStore::read_blob(HttpClient&, const Descriptor& blob, std::uint64_t offset, const BlobSink& sink) {
    const auto path = blob_path(blob.digest);
    FileHandle file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) {
        fail("cannot open blob " + blob.digest + " in " + describe() + ": " + std::strerror(errno));
    }
    if (::lseek(file.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
        fail("cannot seek in blob " + blob.digest + " in " + describe() + ": " + std::strerror(errno));
    }

    std::vector<char> buffer(kReadChunkBytes);
    while (true) {
        const auto count = ::read(file.get(), buffer.data(), buffer.size());
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("cannot read blob " + blob.digest + " in " + describe() + ": " + std::strerror(errno));
        }
        if (count == 0) {
            return;
        }
        sink(buffer.data(), static_cast<std::size_t>(count));
    }
}

std::optional<std::string> LayoutStore::manifest_digest(HttpClient&, const std::string& reference) {
    const auto index = read_index();
    const auto manifests = index.find("manifests");
    if (manifests == index.end() || !manifests->is_array()) {
        return std::nullopt;
    }
    for (const auto& entry : *manifests) {
        if (ref_name(entry) == reference) {
            const auto digest = string_member(entry, "digest");
            if (parse_digest(digest) && fs::exists(blob_path(digest))) {
                return digest;
            }
        }
    }
    return std::nullopt;
}

bool LayoutStore::blob_present(const std::string& digest, std::uint64_t size) const {
    std::error_code error;
    const auto actual = fs::file_size(blob_path(digest), error);
    return !error && actual == size;
}

bool LayoutStore::has_blob(HttpClient&, const Descriptor& blob) {
    return blob_present(blob.digest, blob.size);
}

std::string LayoutStore::temporary_name(const fs::path& target) {
    static std::atomic<unsigned> counter{0};
    return target.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

BlobWrite LayoutStore::write_blob(HttpClient&, const Descriptor& blob, const std::optional<std::string>&,
                                  BlobContent& content) {
    const auto target = blob_path(blob.digest);
    fs::create_directories(target.parent_path());
    const fs::path temporary = temporary_name(target);

    try {
        FileHandle file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (file.get() < 0) {
            fail("cannot create " + temporary.string() + ": " + std::strerror(errno));
        }

        // The content checks size and digest before its last byte arrives; hashing the
        // written bytes again guards the file itself.
        DigestHasher hasher(parse_digest(blob.digest)->algorithm);
        std::uint64_t size = 0;
        std::vector<char> buffer(kReadChunkBytes);
        content.start();
        while (const auto count = content.read(buffer.data(), buffer.size())) {
            hasher.update(buffer.data(), count);
            write_all(file.get(), buffer.data(), count, temporary);
            size += count;
        }
        content.stop();

        if (::fsync(file.get()) != 0 || !file.close()) {
            fail("cannot write " + temporary.string() + ": " + std::strerror(errno));
        }
        const auto digest = hasher.finish();
        if (digest != blob.digest || size != blob.size) {
            fail("blob " + blob.digest + " was written to " + describe() + " as " + digest + " with " +
                 std::to_string(size) + " bytes; the copy is corrupt");
        }
        fs::rename(temporary, target);
    } catch (...) {
        content.stop();
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
    return BlobWrite::uploaded;
}

void LayoutStore::write_file_atomically(const fs::path& target, std::string_view bytes) {
    fs::create_directories(target.parent_path());
    const fs::path temporary = temporary_name(target);
    try {
        FileHandle file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (file.get() < 0) {
            fail("cannot create " + temporary.string() + ": " + std::strerror(errno));
        }
        write_all(file.get(), bytes.data(), bytes.size(), temporary);
        if (::fsync(file.get()) != 0 || !file.close()) {
            fail("cannot write " + temporary.string() + ": " + std::strerror(errno));
        }
        fs::rename(temporary, target);
    } catch (...) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
}

void LayoutStore::write_index(const json& index) {
    write_file_atomically(root_ / "index.json", index.dump());
}

void LayoutStore::write_manifest(HttpClient&, const ManifestData& manifest, const Manifest&,
                                 const std::optional<std::string>& tag) {
    if (!fs::exists(root_ / "oci-layout")) {
        write_file_atomically(root_ / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    }
    if (!blob_present(manifest.digest, manifest.bytes.size())) {
        write_file_atomically(blob_path(manifest.digest), manifest.bytes);
    }
    if (!tag) {
        return;
    }

    IndexLock lock(root_);
    auto index = read_index();
    index["schemaVersion"] = 2;
    index["mediaType"] = media_type::kOciIndex;
    if (!index.contains("manifests") || !index["manifests"].is_array()) {
        index["manifests"] = json::array();
    }

    json entries = json::array();
    for (const auto& entry : index["manifests"]) {
        const bool same_name = !tag->empty() && ref_name(entry) == *tag;
        const bool same_unnamed = tag->empty() && ref_name(entry).empty() &&
                                  string_member(entry, "digest") == manifest.digest;
        if (!same_name && !same_unnamed) {
            entries.push_back(entry);
        }
    }

    json descriptor = {{"mediaType", manifest.media_type},
                       {"digest", manifest.digest},
                       {"size", manifest.bytes.size()}};
    if (!tag->empty()) {
        descriptor["annotations"] = {{kRefNameAnnotation, *tag}};
    }
    entries.push_back(std::move(descriptor));
    index["manifests"] = std::move(entries);
    write_index(index);
}

} // namespace ferry::native
