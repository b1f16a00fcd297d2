// The repositories of each registry known to contain a blob, for cross-repository mounts.
// One instance serves every copy of a ferry run, so it is thread-safe.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ferry::native {

class BlobLocations {
public:
    void record(const std::string& registry, const std::string& digest, const std::string& repository) {
        std::lock_guard lock(mutex_);
        auto& repositories = locations_[{registry, digest}];
        if (std::find(repositories.begin(), repositories.end(), repository) == repositories.end()) {
            repositories.push_back(repository);
        }
    }

    // A repository other than `except` that contains the blob, if one is known.
    std::optional<std::string> find(const std::string& registry, const std::string& digest,
                                    const std::string& except) const {
        std::lock_guard lock(mutex_);
        const auto found = locations_.find({registry, digest});
        if (found == locations_.end()) {
            return std::nullopt;
        }
        for (const auto& repository : found->second) {
            if (repository != except) {
                return repository;
            }
        }
        return std::nullopt;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> locations_;
};

} // namespace ferry::native
