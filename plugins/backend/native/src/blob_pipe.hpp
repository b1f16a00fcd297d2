// A bounded single-producer, single-consumer byte pipe between a blob download and its upload.
//
// The download thread writes, the upload reads. Memory stays at the capacity whatever the blob
// size. The pipe withholds the final byte of the blob until the writer has finished and
// accepted the content (digest and size checked). A registry commits a blob only after its last
// byte, so an upload whose length is known cannot complete with unverified content.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

namespace ferry::native {

class BlobPipe {
public:
    BlobPipe(std::size_t capacity, std::uint64_t expected_size);

    // Blocks until everything is queued. Returns false when the reader has gone away.
    bool write(const char* data, std::size_t size);

    // Marks the end of the content. error == nullptr means the content is complete and
    // verified; otherwise read() rethrows error once the buffered bytes run out.
    void finish(std::exception_ptr error = nullptr);

    // Blocks until data is available. Returns 0 at the verified end; rethrows the writer's error.
    std::size_t read(char* data, std::size_t size);

    // The reader stops early (its request failed); unblocks the writer.
    void abandon();

    std::uint64_t bytes_read() const;

private:
    std::size_t readable_locked() const;

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<char> buffer_;
    std::size_t head_ = 0; // next byte to read
    std::size_t used_ = 0;
    std::uint64_t expected_size_;
    std::uint64_t delivered_ = 0;
    bool finished_ = false;
    bool abandoned_ = false;
    std::exception_ptr error_;
};

} // namespace ferry::native
