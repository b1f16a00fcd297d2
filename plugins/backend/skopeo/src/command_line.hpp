// Building skopeo's argv. Nothing secret is ever put on it: credentials travel in auth files.
#pragma once

#include "manifest.hpp"
#include "skopeo_tool.hpp"

#include <ferry/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ferry::skopeo {

// The image name and registry settings skopeo gets for one side of a copy.
struct SideAccess {
    ferry_transport transport = FERRY_TRANSPORT_DOCKER;
    std::string image_name; // skopeo's form, e.g. docker://127.0.0.1:5000/team/app:v1
    std::string auth_file;  // empty: access the registry anonymously (--*-no-creds)
    bool tls_verify = true;
    std::string cert_dir;
};

struct CopyOptions {
    std::string policy_file;
    std::string digest_file;
    std::optional<Platform> platform; // std::nullopt: every platform of an index
    int retry_times = 3;
};

// Returns the image name skopeo expects for image. A docker reference with both a tag and a
// digest keeps only the digest on the source side (skopeo rejects the pair), and only the tag on
// the destination side, because a push goes to a tag. Throws ferry::sdk::Error
// (FERRY_ERROR_INVALID_INPUT) for a layout path that contains ':', which skopeo's oci: syntax
// cannot express.
std::string skopeo_image_name(const sdk::ImageReference& image, ferry_side_role role);

// `skopeo --version`.
std::vector<std::string> version_arguments(const std::string& skopeo_path);

// `skopeo inspect --raw` of one side; with read_config, the raw config blob instead of the
// manifest.
std::vector<std::string> inspect_arguments(const SkopeoTool& tool, const SideAccess& side,
                                           int retry_times, bool read_config = false);

// `skopeo copy` from source to destination, writing the resulting manifest digest to
// options.digest_file. Without a platform it copies every platform of an index (`--multi-arch
// all`, or `--all` before skopeo 1.6) and keeps digests unchanged where skopeo can promise that
// (`--preserve-digests`, skopeo 1.6 and later). With a platform it copies that one image, chosen
// with --override-os/--override-arch/--override-variant.
std::vector<std::string> copy_arguments(const SkopeoTool& tool, const SideAccess& source,
                                        const SideAccess& destination, const CopyOptions& options);

// `skopeo login` of one registry with the credentials already in side.auth_file: skopeo checks
// existing credentials against the registry and stores nothing new when they are valid.
std::vector<std::string> login_check_arguments(const SkopeoTool& tool, const SideAccess& side,
                                               const std::string& registry);

// Renders argv as one line for logs, quoting arguments that contain spaces or quotes.
std::string format_command(const std::vector<std::string>& argv);

} // namespace ferry::skopeo
