#include "command_line.hpp"

namespace ferry::skopeo {

namespace {

// Appends the flags that give skopeo credentials and TLS settings for one registry side.
// prefix is "src-" or "dest-" for copy and "" for inspect.
void append_side_flags(std::vector<std::string>& argv, const SideAccess& side,
                       const std::string& prefix) {
    if (side.transport != FERRY_TRANSPORT_DOCKER) {
        return;
    }

    if (side.auth_file.empty()) {
        argv.push_back("--" + prefix + "no-creds");
    } else {
        argv.push_back("--" + prefix + "authfile");
        argv.push_back(side.auth_file);
    }
    if (!side.tls_verify) {
        argv.push_back("--" + prefix + "tls-verify=false");
    }
    if (!side.cert_dir.empty()) {
        argv.push_back("--" + prefix + "cert-dir");
        argv.push_back(side.cert_dir);
    }
}

} // namespace

std::string skopeo_image_name(const sdk::ImageReference& image, ferry_side_role role) {
    if (image.transport == FERRY_TRANSPORT_OCI_LAYOUT) {
        if (image.path.find(':') != std::string::npos) {
            throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                             "the layout path \"" + image.path +
                                 "\" contains ':', which skopeo cannot address; move or link the "
                                 "layout to a path without ':' or use --backend native");
        }
        std::string name = "oci:" + image.path;
        if (!image.layout_ref.empty()) {
            name += ":" + image.layout_ref;
        }
        return name;
    }

    if (image.registry.empty() || image.repository.empty()) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "the image reference \"" + image.text + "\" has no registry or repository");
    }
    std::string name = "docker://" + image.registry + "/" + image.repository;
    const bool use_digest =
        !image.digest.empty() && (role == FERRY_SIDE_SOURCE || image.tag.empty());
    if (use_digest) {
        name += "@" + image.digest;
    } else if (!image.tag.empty()) {
        name += ":" + image.tag;
    }
    return name;
}

std::vector<std::string> version_arguments(const std::string& skopeo_path) {
    return {skopeo_path, "--version"};
}

std::vector<std::string> inspect_arguments(const SkopeoTool& tool, const SideAccess& side,
                                           int retry_times, bool read_config) {
    std::vector<std::string> argv = {tool.path, "inspect", "--raw"};
    if (read_config) {
        argv.emplace_back("--config");
    }
    argv.emplace_back("--retry-times");
    argv.push_back(std::to_string(retry_times));
    append_side_flags(argv, side, "");
    argv.push_back(side.image_name);
    return argv;
}

std::vector<std::string> login_check_arguments(const SkopeoTool& tool, const SideAccess& side,
                                               const std::string& registry) {
    std::vector<std::string> argv = {tool.path, "login", "--authfile", side.auth_file};
    if (!side.tls_verify) {
        argv.emplace_back("--tls-verify=false");
    }
    if (!side.cert_dir.empty()) {
        argv.insert(argv.end(), {"--cert-dir", side.cert_dir});
    }
    argv.push_back(registry);
    return argv;
}

std::vector<std::string> copy_arguments(const SkopeoTool& tool, const SideAccess& source,
                                        const SideAccess& destination, const CopyOptions& options) {
    std::vector<std::string> argv = {tool.path, "--policy", options.policy_file};
    if (options.platform) {
        argv.insert(argv.end(), {"--override-os", options.platform->os, "--override-arch",
                                 options.platform->architecture});
        if (!options.platform->variant.empty()) {
            argv.insert(argv.end(), {"--override-variant", options.platform->variant});
        }
    }

    argv.insert(argv.end(), {"copy", "--retry-times", std::to_string(options.retry_times)});
    if (!options.platform) {
        if (tool.capabilities.multi_arch_flag) {
            argv.insert(argv.end(), {"--multi-arch", "all"});
        } else {
            argv.emplace_back("--all");
        }
    }
    if (tool.capabilities.preserve_digests) {
        argv.emplace_back("--preserve-digests");
    }
    argv.insert(argv.end(), {"--digestfile", options.digest_file});

    append_side_flags(argv, source, "src-");
    append_side_flags(argv, destination, "dest-");
    argv.push_back(source.image_name);
    argv.push_back(destination.image_name);
    return argv;
}

std::string format_command(const std::vector<std::string>& argv) {
    std::string line;
    for (const std::string& argument : argv) {
        if (!line.empty()) {
            line += ' ';
        }
        const bool plain = !argument.empty() &&
                           argument.find_first_of(" \t\n'\"\\$`") == std::string::npos;
        if (plain) {
            line += argument;
            continue;
        }
        line += '\'';
        for (char character : argument) {
            if (character == '\'') {
                line += "'\\''";
            } else {
                line += character;
            }
        }
        line += '\'';
    }
    return line;
}

} // namespace ferry::skopeo
