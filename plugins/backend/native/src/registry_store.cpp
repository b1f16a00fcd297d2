#include "registry_store.hpp"

#include "digest.hpp"
#include "retry_loop.hpp"
#include "upload_location.hpp"

#include <curl/curl.h>

#include <algorithm>

namespace ferry::native {
namespace {

// Limit of the DELETE that cancels an upload session after a failure or an interrupt. The user
// waits for it, and the registry expires an abandoned session by itself.
constexpr std::chrono::milliseconds kCancelUploadTimeout{2000};

std::string url_encode(const std::string& text) {
    char* encoded = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    std::string result = encoded != nullptr ? encoded : "";
    curl_free(encoded);
    return result;
}

std::string accept_manifests() { return "Accept: " + media_type::accept_header(); }

// Throws unless the response's Docker-Content-Digest, when present, names these bytes.
void check_reported_digest(const HttpResponse& response, const std::string& bytes,
                           const std::string& operation) {
    const auto reported = response.header("docker-content-digest");
    if (reported.empty()) {
        return; // the caller computes the digest from the bytes
    }
    const auto parsed = parse_digest(reported);
    if (!parsed) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": the registry reported an invalid digest \"" +
                                                 reported + "\"");
    }
    const auto computed = compute_digest(bytes, parsed->algorithm);
    if (computed != reported) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": the registry reported digest " + reported +
                                                 " but the manifest received has digest " + computed);
    }
}

bool has_foreign_layers(const Manifest& manifest) {
    for (const auto& layer : manifest.layers) {
        if (layer.is_foreign()) {
            return true;
        }
    }
    return false;
}

} // namespace

RegistryStore::RegistryStore(ferry_side_role role, const ferry::sdk::Side& side, ferry::sdk::Host host,
                             RetryPolicy* policy, std::uint64_t upload_chunk_bytes)
    : host_(host), repository_(side.image.repository),
      scopes_{role == FERRY_SIDE_SOURCE ? pull_scope(repository_) : push_scope(repository_)},
      client_(side.image.registry, side.credential, side.tls_verify, host), policy_(policy),
      chunking_(upload_chunk_bytes) {}

std::string RegistryStore::describe() const { return "docker://" + in_repository(); }

std::string RegistryStore::in_repository() const { return client_.registry() + "/" + repository_; }

std::optional<std::pair<std::string, std::string>> RegistryStore::registry_location() const {
    return std::make_pair(client_.registry(), repository_);
}

std::string RegistryStore::api_path(const std::string& kind, const std::string& reference) const {
    return client_.url("/v2/" + repository_ + "/" + kind + "/" + reference);
}

void RegistryStore::prepare(HttpClient& client) { client_.ping(client); }

ManifestData RegistryStore::read_manifest(HttpClient& client, const std::string& reference) {
    const std::string operation = "reading manifest " + reference + " from " + in_repository();
    HttpRequest request;
    request.url = api_path("manifests", reference);
    request.headers.push_back(accept_manifests());

    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status == 404) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": not found (HTTP 404" +
                                                 (describe_registry_errors(response.body).empty()
                                                      ? ""
                                                      : ", " + describe_registry_errors(response.body)) +
                                                 "); check the tag or digest");
    }
    if (response.status != 200) {
        throw client_.unexpected_status(response, operation, true);
    }
    if (response.body_truncated) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": the manifest is larger than " +
                                                 std::to_string(kMaxManifestBytes) + " bytes");
    }

    ManifestData manifest;
    manifest.bytes = response.body;
    check_reported_digest(response, manifest.bytes, operation);

    const auto requested = parse_digest(reference);
    manifest.digest = compute_digest(manifest.bytes, requested ? requested->algorithm : "sha256");
    if (requested && manifest.digest != reference) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": the registry returned a manifest with digest " +
                                                 manifest.digest + " instead");
    }

    try {
        manifest.media_type = detect_manifest_type(response.header("content-type"), manifest.bytes).media_type;
    } catch (const ferry::sdk::Error& error) {
        throw ferry::sdk::Error(error.status(), operation + ": " + error.what());
    }
    return manifest;
}

void RegistryStore::read_blob(HttpClient& client, const Descriptor& blob, std::uint64_t offset,
                              const BlobSink& sink) {
    const std::string operation = "reading blob " + blob.digest + " from " + in_repository() +
                             (offset > 0 ? " from byte " + std::to_string(offset) : std::string());
    HttpRequest request;
    request.url = api_path("blobs", blob.digest);
    if (offset > 0) {
        request.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    }

    // A server that ignores Range returns 200 with the whole blob, so skip what the caller has.
    std::uint64_t skip = 0;
    request.on_headers = [&](const HttpResponse& response) {
        if (response.status != 206) {
            skip = offset;
            return;
        }
        const auto range = response.header("content-range");
        if (range.rfind("bytes " + std::to_string(offset) + "-", 0) != 0) {
            throw TransferError(Failure{Failure::Kind::rejected, 206, true, std::nullopt},
                                operation + ": the registry returned the range \"" + range + "\"");
        }
    };
    request.sink = [&](const char* data, std::size_t size) {
        const auto skipped = static_cast<std::size_t>(std::min<std::uint64_t>(skip, size));
        skip -= skipped;
        if (size > skipped) {
            sink(data + skipped, size - skipped);
        }
    };

    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status == 206 && offset > 0) {
        return;
    }
    if (response.status != 200) {
        throw client_.unexpected_status(response, operation, true);
    }
}

std::optional<std::string> RegistryStore::manifest_digest(HttpClient& client,
                                                          const std::string& reference) {
    const std::string operation = "checking manifest " + reference + " in " + in_repository();
    HttpRequest request;
    request.method = "HEAD";
    request.url = api_path("manifests", reference);
    request.headers.push_back(accept_manifests());

    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status == 404) {
        return std::nullopt;
    }
    if (response.status != 200) {
        throw client_.unexpected_status(response, operation, true);
    }

    const auto digest = response.header("docker-content-digest");
    if (parse_digest(digest)) {
        return digest;
    }
    // Without the header, only the bytes tell the digest.
    return read_manifest(client, reference).digest;
}

bool RegistryStore::has_blob(HttpClient& client, const Descriptor& blob) {
    const std::string operation = "checking blob " + blob.digest + " in " + in_repository();
    HttpRequest request;
    request.method = "HEAD";
    request.url = api_path("blobs", blob.digest);

    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status == 200) {
        return true;
    }
    if (response.status == 404) {
        return false;
    }
    throw client_.unexpected_status(response, operation, true);
}

std::optional<std::string> RegistryStore::start_upload(HttpClient& client, const Descriptor& blob,
                                                       const std::optional<std::string>& mount_from,
                                                       bool& mounted) {
    mounted = false;
    HttpRequest request;
    request.method = "POST";
    request.body = std::string_view();

    if (mount_from) {
        const std::string operation = "mounting blob " + blob.digest + " from " + *mount_from + " into " +
                                 in_repository();
        request.url = client_.url("/v2/" + repository_ + "/blobs/uploads/?mount=" +
                                  url_encode(blob.digest) + "&from=" + url_encode(*mount_from));
        Scopes scopes = scopes_;
        scopes.push_back(pull_scope(*mount_from));

        const auto response = client_.send(client, request, scopes, operation);
        if (response.status == 201) {
            mounted = true;
            return std::nullopt;
        }
        if (response.status == 202) {
            // The registry declined the mount and opened an ordinary upload session instead.
            host_.debug(operation + ": declined; uploading");
            return resolve_upload_location(request.url, response.header("location"));
        }
        host_.debug(operation + ": HTTP " + std::to_string(response.status) + "; uploading instead");
    }

    const std::string operation = "starting the upload of blob " + blob.digest + " to " + in_repository();
    request.url = client_.url("/v2/" + repository_ + "/blobs/uploads/");
    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status != 202) {
        // Repeating the POST at worst leaves an unused session, which the registry expires.
        throw client_.unexpected_status(response, operation, true);
    }
    try {
        return resolve_upload_location(request.url, response.header("location"));
    } catch (const std::invalid_argument& error) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": " + error.what());
    }
}

// A chunk that broke halves the chunk size. When the registry lost the session with it, the blob
// restarts here in smaller chunks without using up the caller's retries. The chunk size halves
// only a few times before it reaches its floor, so these restarts are bounded.
BlobWrite RegistryStore::write_blob(HttpClient& client, const Descriptor& blob,
                                    const std::optional<std::string>& mount_from, BlobContent& content) {
    for (;;) {
        const auto chunk_before = chunking_.chunk_bytes();
        try {
            return upload_blob(client, blob, mount_from, content);
        } catch (const TransferError& error) {
            const auto chunk_now = chunking_.chunk_bytes();
            if (policy_ == nullptr || chunk_now == chunk_before) {
                throw;
            }
            host_.info("restarting the upload of blob " + blob.digest + " in chunks of " +
                       std::to_string(chunk_now) + " bytes");
        }
    }
}

BlobWrite RegistryStore::upload_blob(HttpClient& client, const Descriptor& blob,
                                     const std::optional<std::string>& mount_from, BlobContent& content) {
    bool mounted = false;
    auto location = start_upload(client, blob, mount_from, mounted);
    if (mounted) {
        return BlobWrite::mounted;
    }

    try {
        content.start();
        const auto chunk = chunking_.chunk_bytes();
        if (blob.size <= (chunk == 0 ? kMonolithicUploadLimit : std::min(chunk, kMonolithicUploadLimit))) {
            finish_upload(client, blob, *location, &content);
        } else {
            location = stream_upload(client, blob, *location, content);
            finish_streamed_upload(client, blob, *location);
        }
        content.stop();
    } catch (...) {
        content.stop();
        cancel_upload(client, *location);
        throw;
    }
    return BlobWrite::uploaded;
}

// docker-registry 2.8.2 stores the bytes of a PATCH that broke off, and cancels the session on
// the next request whose _state names an offset other than the stored size. The upload can
// therefore continue there only when the failed request stored nothing: a 5xx, 408 or 429 from
// a proxy in front of the registry, a refused connection, a stall before the request reached
// it. Otherwise the status query finds the session gone and the blob restarts. Registries that
// keep the session after a broken request report its offset, and the upload continues there.
// Chunks keep such breaks rare on links that cut connections after some volume.
std::string RegistryStore::stream_upload(HttpClient& client, const Descriptor& blob, std::string location,
                                         BlobContent& content) {
    std::uint64_t committed = 0;
    for (int retry = 1;; ++retry) {
        std::uint64_t length = 0;
        std::uint64_t sent = 0;
        try {
            while (committed < blob.size) {
                length = chunking_.next_length(committed, blob.size);
                sent = 0;
                location = patch_chunk(client, blob, location, committed, length, content, sent);
                committed += length;
                retry = 1; // a chunk went through: progress restores the budget
            }
            return location;
        } catch (const TransferError& error) {
            if (policy_ == nullptr) {
                throw;
            }
            note_broken_chunk(error, sent, length);
            // 404 means the registry cancelled the session. docker-registry 2.8.2 does so when a
            // PATCH arrives after one that broke off and stored some bytes. This happens because
            // libcurl resends a request whose reused connection died, and because the status query
            // can run before the registry stored the bytes of the broken request.
            if (error.failure().kind == Failure::Kind::http && error.failure().http_status == 404) {
                throw session_lost(blob);
            }
            const auto decision = policy_->decide(retry, error.failure());
            if (!decision.retry()) {
                throw final_error(error, retry, decision.verdict, policy_->max_retries());
            }
            warn_retry(host_, error, "asking the registry for the upload's offset", decision, retry,
                       policy_->max_retries(), "resume");
            wait_unless_cancelled(host_, decision.delay);
        }

        const auto status = query_upload(client, blob, location);
        if (!status || status->first > blob.size) {
            throw session_lost(blob);
        }
        if (status->first > committed) {
            retry = 0; // the registry kept bytes of the failed request: progress restores the budget
        }
        committed = status->first;
        location = status->second;
        if (committed == blob.size) {
            // The content withholds its last byte until the digest matched, so a full session is verified.
            return location;
        }
        host_.info("resuming the upload of blob " + blob.digest + " at byte " + std::to_string(committed));
        content.start_at(committed);
    }
}

std::string RegistryStore::patch_chunk(HttpClient& client, const Descriptor& blob, const std::string& location,
                                       std::uint64_t offset, std::uint64_t length, BlobContent& content,
                                       std::uint64_t& sent) {
    const std::uint64_t last = offset + length - 1;
    const std::string operation = "uploading bytes " + std::to_string(offset) + "-" + std::to_string(last) +
                                  " of blob " + blob.digest + " (" + std::to_string(blob.size) +
                                  " bytes) to " + in_repository();
    HttpRequest request;
    request.method = "PATCH";
    request.url = location;
    request.headers = {"Content-Type: application/octet-stream",
                       "Content-Range: " + std::to_string(offset) + "-" + std::to_string(last)};
    request.body_size = length;
    request.connection_upload_limit = chunking_.connection_limit();
    // The content is one stream for the whole blob, so each chunk reads exactly its length.
    request.reader = [&content, &sent, length](char* buffer, std::size_t size) {
        const auto remaining = static_cast<std::size_t>(std::min<std::uint64_t>(size, length - sent));
        const std::size_t count = remaining == 0 ? 0 : content.read(buffer, remaining);
        sent += count;
        return count;
    };

    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status == 401) {
        // The POST that opened the session was authorized, so the token was revoked or expired
        // early. The registry checks the token before it reads the body, so the session is
        // intact, and the retry requests its offset with a new token.
        throw TransferError(Failure{Failure::Kind::network, 401, true, std::nullopt},
                            operation + ": the registry rejected the token (HTTP 401); renewing it");
    }
    if (response.status != 202) {
        // Safe to repeat: the retry first requests the session's offset from the registry, and
        // Content-Range makes the registry reject bytes at any other offset.
        throw client_.unexpected_status(response, operation, true);
    }
    try {
        return resolve_upload_location(location, response.header("location"));
    } catch (const std::invalid_argument& error) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": " + error.what());
    }
}

void RegistryStore::note_broken_chunk(const TransferError& error, std::uint64_t sent, std::uint64_t length) {
    if (error.failure().kind != Failure::Kind::network || error.failure().http_status != 0) {
        return; // an HTTP status or a timeout, not a connection cut short
    }
    if (const auto smaller = chunking_.record_break(sent, length); smaller > 0) {
        host_.warning("a connection to " + client_.registry() + " broke during a " + std::to_string(length) +
                      "-byte chunk; uploading in chunks of " + std::to_string(smaller) +
                      " bytes from now on (set the size with --upload-chunk-size)");
    } else if (sent > 0 && length >= chunking_.chunk_bytes()) {
        unshrunk_break_ = true; // the chunk size could not follow the link down
    }
}

std::optional<std::pair<std::uint64_t, std::string>> RegistryStore::query_upload(
    HttpClient& client, const Descriptor& blob, const std::string& location) {
    const std::string operation = "checking the upload of blob " + blob.digest + " in " + in_repository();
    HttpRequest request;
    request.url = location;

    HttpResponse response;
    try {
        response = client_.send(client, request, scopes_, operation);
    } catch (const TransferError& error) {
        host_.debug(error.what());
        return std::nullopt;
    }
    if (response.status != 204 && response.status != 200) {
        host_.debug(operation + ": HTTP " + std::to_string(response.status) + " " +
                    describe_registry_errors(response.body));
        return std::nullopt;
    }

    const auto committed = parse_upload_range(response.header("range"));
    if (!committed) {
        return std::nullopt;
    }
    std::string next = location;
    if (!response.header("location").empty()) {
        next = resolve_upload_location(location, response.header("location"));
    }
    return std::make_pair(*committed, next);
}

void RegistryStore::finish_upload(HttpClient& client, const Descriptor& blob,
                                  const std::string& location, BlobContent* content) {
    const std::string operation = "uploading blob " + blob.digest + " (" + std::to_string(blob.size) +
                                  " bytes) to " + in_repository();
    HttpRequest request;
    request.method = "PUT";
    request.url = with_digest_parameter(location, blob.digest);
    request.headers.push_back("Content-Type: application/octet-stream");
    request.connection_upload_limit = chunking_.connection_limit();
    if (content != nullptr) {
        request.body_size = blob.size;
        request.reader = [content](char* buffer, std::size_t size) { return content->read(buffer, size); };
    } else {
        request.body = std::string_view();
    }

    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status != 201) {
        // Safe to repeat: digest= names the content, and a HEAD before any new attempt finds the
        // blob when this request stored it after all.
        throw client_.unexpected_status(response, operation, true);
    }
}

// The closing PUT of a streamed upload carries no body. When it fails, the blob may be committed
// already (the response was lost) or the session may still contain every byte. The blob restarts
// only when neither is the case.
void RegistryStore::finish_streamed_upload(HttpClient& client, const Descriptor& blob, std::string location) {
    for (int retry = 1;; ++retry) {
        try {
            finish_upload(client, blob, location, nullptr);
            return;
        } catch (const TransferError& error) {
            if (policy_ == nullptr) {
                throw;
            }
            const auto decision = policy_->decide(retry, error.failure());
            if (!decision.retry()) {
                throw final_error(error, retry, decision.verdict, policy_->max_retries());
            }
            warn_retry(host_, error, "checking the blob", decision, retry, policy_->max_retries());
            wait_unless_cancelled(host_, decision.delay);
        }

        if (has_blob(client, blob)) {
            return;
        }
        const auto status = query_upload(client, blob, location);
        if (!status || status->first != blob.size) {
            throw session_lost(blob);
        }
        location = status->second;
    }
}

TransferError RegistryStore::session_lost(const Descriptor& blob) const {
    std::string message = "uploading blob " + blob.digest + " to " + in_repository() +
                          ": the registry dropped the upload session after a failed request, so the blob "
                          "must start again";
    if (unshrunk_break_) {
        const auto chunk = chunking_.chunk_bytes();
        message += chunk == 0 ? "; connections broke during whole-blob requests, so if the link cuts "
                                "long transfers, set --upload-chunk-size (such as 16MiB)"
                              : "; connections broke during " + std::to_string(chunk) +
                                    "-byte chunks, so if the link cuts connections below that, set a "
                                    "smaller --upload-chunk-size (such as 1MiB)";
    }
    return TransferError(Failure{Failure::Kind::network, 0, true, std::nullopt}, message);
}

void RegistryStore::cancel_upload(HttpClient& client, const std::string& location) {
    HttpRequest request;
    request.method = "DELETE";
    request.url = location;
    // Also sent after an interrupt or past the deadline, so it must end quickly.
    request.cleanup_timeout = kCancelUploadTimeout;
    try {
        const auto response = client_.send(client, request, scopes_, "cancelling an upload");
        host_.debug("cancelled the upload session at " + in_repository() + ": HTTP " +
                    std::to_string(response.status));
    } catch (const std::exception& error) {
        // The registry expires abandoned sessions by itself; the copy's own error matters more.
        host_.debug(std::string("could not cancel an upload session: ") + error.what());
    }
}

void RegistryStore::write_manifest(HttpClient& client, const ManifestData& manifest,
                                   const Manifest& parsed, const std::optional<std::string>& tag) {
    const auto reference = tag ? *tag : manifest.digest;
    const std::string operation = "writing manifest " + manifest.digest + " to " + in_repository() +
                             (tag ? " as " + *tag : std::string());
    HttpRequest request;
    request.method = "PUT";
    request.url = api_path("manifests", reference);
    request.headers.push_back("Content-Type: " + manifest.media_type);
    request.body = std::string_view(manifest.bytes);

    const auto response = client_.send(client, request, scopes_, operation);
    if (response.status == 500 && has_foreign_layers(parsed)) {
        auto error = client_.unexpected_status(response, operation, true);
        throw TransferError(Failure{Failure::Kind::rejected, 500, true, std::nullopt},
                            std::string(error.what()) +
                                "; the manifest references foreign (non-distributable) layers "
                                "with URLs, which this registry refuses: allow their URLs in the "
                                "registry (docker-registry: validation.manifests.urls.allow)");
    }
    if (response.status != 201 && response.status != 200) {
        throw client_.unexpected_status(response, operation, true);
    }

    const auto stored = response.header("docker-content-digest");
    if (parse_digest(stored) && stored != manifest.digest) {
        throw ferry::sdk::Error(FERRY_ERROR, operation + ": the registry stored it as " + stored +
                                                 ", so it changed the manifest");
    }
}

} // namespace ferry::native
