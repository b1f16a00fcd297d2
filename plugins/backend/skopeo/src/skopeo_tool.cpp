#include "skopeo_tool.hpp"

#include <ferry/sdk.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <regex>

namespace ferry::skopeo {

namespace {

const char* const kInstallHint =
    "install it with `apt-get install skopeo`, or use `--backend native`";

bool is_executable_file(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        return false;
    }
    return ::access(path.c_str(), X_OK) == 0;
}

} // namespace

std::string SkopeoVersion::text() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::optional<SkopeoVersion> parse_skopeo_version(std::string_view output) {
    static const std::regex pattern(R"(version\s+v?(\d+)\.(\d+)(?:\.(\d+))?)");

    std::match_results<std::string_view::const_iterator> match;
    if (!std::regex_search(output.begin(), output.end(), match, pattern)) {
        return std::nullopt;
    }

    SkopeoVersion version;
    version.major = std::stoi(match[1].str());
    version.minor = std::stoi(match[2].str());
    version.patch = match[3].matched ? std::stoi(match[3].str()) : 0;
    return version;
}

Capabilities capabilities_of(const SkopeoVersion& version) {
    const SkopeoVersion release_1_6{1, 6, 0};

    Capabilities capabilities;
    capabilities.multi_arch_flag = version >= release_1_6;
    capabilities.preserve_digests = version >= release_1_6;
    return capabilities;
}

std::string locate_skopeo(const std::optional<std::string>& configured_path,
                          std::string_view search_path) {
    if (configured_path) {
        const std::string& path = *configured_path;
        if (path.empty() || path.front() != '/') {
            throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                             "skopeo-path \"" + path + "\" is not an absolute path; give the full "
                             "path of the skopeo executable, e.g. /usr/bin/skopeo");
        }
        if (!is_executable_file(path)) {
            throw sdk::Error(FERRY_ERROR_UNSUPPORTED,
                             "skopeo-path \"" + path + "\" is not an executable file; " +
                                 kInstallHint);
        }
        return path;
    }

    std::size_t start = 0;
    while (start <= search_path.size()) {
        std::size_t end = search_path.find(':', start);
        if (end == std::string_view::npos) {
            end = search_path.size();
        }
        std::string directory(search_path.substr(start, end - start));
        start = end + 1;

        if (directory.empty() || directory.front() != '/') {
            continue;
        }
        std::string candidate = directory + "/skopeo";
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }

    throw sdk::Error(FERRY_ERROR_UNSUPPORTED,
                     std::string("skopeo was not found in PATH; ") + kInstallHint);
}

} // namespace ferry::skopeo
