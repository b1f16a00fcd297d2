#include "blob_pipe.hpp"

#include <algorithm>
#include <cstring>

namespace ferry::native {

BlobPipe::BlobPipe(std::size_t capacity, std::uint64_t expected_size)
    : buffer_(std::max<std::size_t>(capacity, 1)), expected_size_(expected_size) {}

bool BlobPipe::write(const char* data, std::size_t size) {
    std::unique_lock lock(mutex_);
    while (size > 0) {
        changed_.wait(lock, [&] { return abandoned_ || used_ < buffer_.size(); });
        if (abandoned_) {
            return false;
        }

        const std::size_t tail = (head_ + used_) % buffer_.size();
        const std::size_t contiguous = std::min(buffer_.size() - used_, buffer_.size() - tail);
        const std::size_t count = std::min(size, contiguous);
        std::memcpy(buffer_.data() + tail, data, count);
        used_ += count;
        data += count;
        size -= count;
        changed_.notify_all();
    }
    return true;
}

void BlobPipe::finish(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    finished_ = true;
    error_ = std::move(error);
    changed_.notify_all();
}

std::size_t BlobPipe::readable_locked() const {
    if (finished_ && !error_) {
        return used_;
    }
    // Until the writer has accepted the content, the blob's last byte stays in the buffer.
    const std::uint64_t allowed_total = expected_size_ > 0 ? expected_size_ - 1 : 0;
    const std::uint64_t allowed = allowed_total > delivered_ ? allowed_total - delivered_ : 0;
    return static_cast<std::size_t>(std::min<std::uint64_t>(used_, allowed));
}

std::size_t BlobPipe::read(char* data, std::size_t size) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return readable_locked() > 0 || finished_; });

    const std::size_t available = readable_locked();
    if (available == 0) {
        if (error_) {
            std::rethrow_exception(error_);
        }
        return 0; // finished and drained
    }

    const std::size_t contiguous = std::min(available, buffer_.size() - head_);
    const std::size_t count = std::min(size, contiguous);
    std::memcpy(data, buffer_.data() + head_, count);
    head_ = (head_ + count) % buffer_.size();
    used_ -= count;
    delivered_ += count;
    changed_.notify_all();
    return count;
}

void BlobPipe::abandon() {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    changed_.notify_all();
}

std::uint64_t BlobPipe::bytes_read() const {
    std::lock_guard lock(mutex_);
    return delivered_;
}

} // namespace ferry::native
