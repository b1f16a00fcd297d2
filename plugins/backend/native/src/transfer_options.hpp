// The request settings the native backend honours, parsed and checked.
#pragma once

#include "http_client.hpp"
#include "registry_error.hpp"
#include "upload_chunking.hpp"

#include <ferry/sdk.hpp>

namespace ferry::native {

struct TransferOptions {
    // Blobs copied at once. On a long, lossy link one TCP connection stays far below the link's
    // capacity, because every loss halves its window. Four connections lose independently and
    // fill it better. Four also stays below the connection counts at which registries throttle,
    // close to dockerd's defaults of 3 parallel downloads and 5 parallel uploads.
    int jobs = 4;
    int retry_times = 3;
    // Base delay before the first retry; later ones double it.
    std::chrono::milliseconds retry_delay = RetryPolicy::kDefaultBaseDelay;
    TransferSettings transfer;
    // PATCH size of large blob uploads and upload bytes per connection; 0 = one request per blob.
    std::uint64_t upload_chunk_bytes = kDefaultUploadChunkBytes;

    // Reads "jobs", "retry-times", "retry-delay" (seconds, fractions allowed), "timeout"
    // (seconds per attempt, 0 = none), "stall-timeout" (seconds without bytes moved, 0 = never),
    // "deadline" (seconds for the whole copy, counted from this call, 0 = none),
    // "upload-chunk-size" (bytes: 0, or 1 MiB and more) and "force-http1" ("true"/"false"). Absent keys keep the defaults. Throws ferry::sdk::Error FERRY_ERROR_INVALID_INPUT naming the key and
    // value for anything else.
    static TransferOptions from(const ferry::sdk::Settings& settings);
};

} // namespace ferry::native
