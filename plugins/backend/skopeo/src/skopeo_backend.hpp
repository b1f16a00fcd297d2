// The `skopeo` copy backend: copies images by running the skopeo CLI.
//
// Settings, read from the request first and the plugin options second:
//   skopeo-path   absolute path of the skopeo executable (default: the first skopeo in PATH)
//   retry-times   how often skopeo retries a failed network operation, and how often ferry
//                 reruns skopeo after a transient failure (default 3)
//   retry-delay   seconds before the first rerun; each further one doubles it (default 0.5)
//   deadline      seconds for the whole call, reruns included; skopeo is stopped when it passes
//                 (default 0: none)
//
// NOTE: the host's timeout and stall-timeout settings are ignored. skopeo 1.9.3 has no
// per-request timeout, so a stalled connection blocks the copy until the deadline or the user
// stops it.
#pragma once

#include "manifest.hpp"
#include "skopeo_session.hpp"
#include "skopeo_tool.hpp"

#include <ferry/sdk.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace ferry::skopeo {

class SkopeoBackend final : public sdk::Backend {
public:
    SkopeoBackend(sdk::Host host, sdk::Settings settings);

    // Reads both manifest digests first and returns up_to_date without copying when the
    // destination already has the digest the copy would produce. bytes is always 0: skopeo does
    // not report how much it transferred. An oci: destination is locked (LayoutLock) from the
    // destination check to the end of the copy.
    sdk::CopyOutcome copy(const sdk::CopyRequest& request) override;

    std::string resolve_digest(const sdk::Side& side, const sdk::Settings& settings) override;

    // Runs `skopeo login` against the credentials in the in-memory auth file, which skopeo only
    // verifies because they are already there (its stdin is /dev/null, so it never prompts).
    void check_credentials(const sdk::Side& side, const sdk::Settings& settings) override;

private:
    void warn_native_only_settings(const sdk::Settings& settings) const;
    std::optional<std::string> setting(const sdk::Settings& request, const char* key) const;
    int retry_times(const sdk::Settings& request) const;
    std::optional<double> seconds_setting(const sdk::Settings& request, const char* key) const;
    // The policy for reruns of skopeo; its deadline counts from this call.
    std::unique_ptr<core::RetryPolicy> rerun_policy(const sdk::Settings& request) const;

    // Locates skopeo and detects its version once per path.
    const SkopeoTool& tool(SkopeoSession& session, const sdk::Settings& request);

    // Returns the platforms the copy transfers, as the host reports them.
    std::string copied_platforms(SkopeoSession& session, const SkopeoTool& tool,
                                 const SideAccess& source, const std::string& source_text,
                                 const Manifest& manifest, const std::optional<Platform>& platform,
                                 int retries);

    // Returns the destination's manifest digest, or std::nullopt when it has no such image.
    std::optional<std::string> destination_digest(SkopeoSession& session, const SkopeoTool& tool,
                                                  const SideAccess& destination,
                                                  const std::string& destination_text, int retries);

    sdk::Host host_;
    sdk::Settings settings_;
    std::map<std::string, SkopeoTool> tools_;
};

} // namespace ferry::skopeo
