#include "native_backend.hpp"

#include "image_copier.hpp"
#include "http_client.hpp"
#include "registry_client.hpp"
#include "registry_store.hpp"
#include "tls_config.hpp"
#include "transfer_options.hpp"
#include "retry_loop.hpp"

namespace ferry::native {

NativeBackend::NativeBackend(ferry::sdk::Host host, ferry::sdk::Settings) : host_(host) {}

ferry::sdk::CopyOutcome NativeBackend::copy(const ferry::sdk::CopyRequest& request) {
    ImageCopier copier(request, host_, locations_);
    return copier.run();
}

std::string NativeBackend::resolve_digest(const ferry::sdk::Side& side,
                                          const ferry::sdk::Settings& settings) {
    const auto options = TransferOptions::from(settings);
    RetryPolicy policy(options.retry_times, options.retry_delay, RetryPolicy::kDefaultMaxDelay,
                       options.transfer.deadline);
    HttpClient client(TlsConfig::load(side.tls_verify, side.cert_dir), options.transfer, host_);

    const auto reference = source_reference(side.image);
    if (side.image.transport == FERRY_TRANSPORT_DOCKER) {
        // A HEAD as a source: reading needs pull access only, whichever side the image is on.
        RegistryStore registry(FERRY_SIDE_SOURCE, side, host_);
        with_retries(policy, host_, [&] { registry.prepare(client); });
        const auto digest = with_retries(policy, host_, [&] { return registry.manifest_digest(client, reference); });
        if (!digest) {
            throw ferry::sdk::Error(FERRY_ERROR, "manifest " + reference + " not found in " + registry.describe() +
                                                     "; check the tag or digest");
        }
        return *digest;
    }

    auto layout = open_source(side, host_);
    return layout->read_manifest(client, reference).digest;
}

void NativeBackend::check_credentials(const ferry::sdk::Side& side, const ferry::sdk::Settings& settings) {
    const auto options = TransferOptions::from(settings);
    RetryPolicy policy(options.retry_times, options.retry_delay, RetryPolicy::kDefaultMaxDelay,
                       options.transfer.deadline);
    HttpClient client(TlsConfig::load(side.tls_verify, side.cert_dir), options.transfer, host_);
    RegistryClient registry(side.image.registry, side.credential, side.tls_verify, host_);
    const std::string operation = "checking credentials at " + side.image.registry;

    with_retries(policy, host_, [&] { registry.ping(client); });
    const auto response = with_retries(policy, host_, [&] {
        HttpRequest request;
        request.url = registry.url("/v2/");
        return registry.send(client, request, Scopes{}, operation);
    });

    if (response.status == 200) {
        return;
    }
    if (response.status == 401 || response.status == 403) {
        throw ferry::sdk::Error(FERRY_ERROR, "the registry " + side.image.registry + " rejected the credentials" +
                                                 (side.credential ? " of user \"" + side.credential->username + "\"" : "") +
                                                 " (HTTP " + std::to_string(response.status) +
                                                 "); check the user name and password");
    }
    throw final_error(registry.unexpected_status(response, operation, true), 1, RetryVerdict::permanent, 0);
}

} // namespace ferry::native
