// A temporary directory that only the current user can enter, removed with everything in it when
// the object is destroyed.
#pragma once

#include <ferry/sdk.hpp>

#include <string>
#include <string_view>

namespace ferry::skopeo {

class PrivateDirectory {
public:
    // Creates <base>/ferry-skopeo-XXXXXX with mode 0700 (mkdtemp). An empty base means $TMPDIR,
    // or /tmp when TMPDIR is unset or empty. Throws ferry::sdk::Error when creation fails.
    static PrivateDirectory create(const std::string& base = std::string());

    PrivateDirectory(PrivateDirectory&& other) noexcept;
    PrivateDirectory& operator=(PrivateDirectory&& other) noexcept;
    PrivateDirectory(const PrivateDirectory&) = delete;
    PrivateDirectory& operator=(const PrivateDirectory&) = delete;
    ~PrivateDirectory();

    const std::string& path() const noexcept { return path_; }

    // Returns the absolute path of name inside the directory; name is a relative path.
    std::string file(std::string_view name) const;

    // Writes a new file with mode 0600 (O_EXCL, so an existing file or link is never followed)
    // and returns its path.
    std::string write_file(std::string_view name, std::string_view content) const;

    // Creates a subdirectory with mode 0700, including missing parents, and returns its path.
    std::string make_directory(std::string_view name) const;

    // Removes the directory tree now. Returns false and leaves the rest in place when some entry
    // cannot be removed; the destructor does the same and ignores the result.
    bool remove() noexcept;

private:
    explicit PrivateDirectory(std::string path) : path_(std::move(path)) {}

    std::string path_;
};

} // namespace ferry::skopeo
