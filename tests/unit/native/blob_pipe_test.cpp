#include "blob_pipe.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

namespace ferry::native {
namespace {

std::string drain(BlobPipe& pipe) {
    std::string result;
    char buffer[7];
    while (const auto count = pipe.read(buffer, sizeof(buffer))) {
        result.append(buffer, count);
    }
    return result;
}

TEST(BlobPipe, CarriesDataLargerThanCapacity) {
    std::string data;
    for (int i = 0; i < 1000; ++i) {
        data += std::to_string(i) + ",";
    }
    BlobPipe pipe(16, data.size());
    std::thread writer([&] {
        for (std::size_t offset = 0; offset < data.size(); offset += 5) {
            ASSERT_TRUE(pipe.write(data.data() + offset, std::min<std::size_t>(5, data.size() - offset)));
        }
        pipe.finish();
    });
    const auto received = drain(pipe);
    writer.join();
    EXPECT_EQ(received, data);
    EXPECT_EQ(pipe.bytes_read(), data.size());
}

TEST(BlobPipe, LastByteWithheldUntilFinished) {
    BlobPipe pipe(64, 4);
    ASSERT_TRUE(pipe.write("abcd", 4));

    char buffer[8];
    EXPECT_EQ(pipe.read(buffer, sizeof(buffer)), 3u);
    EXPECT_EQ(std::string(buffer, 3), "abc");

    // Only finish() releases the final byte; a reader would block here until then.
    pipe.finish();
    EXPECT_EQ(pipe.read(buffer, sizeof(buffer)), 1u);
    EXPECT_EQ(buffer[0], 'd');
    EXPECT_EQ(pipe.read(buffer, sizeof(buffer)), 0u);
}

TEST(BlobPipe, WriterErrorReachesReaderWithoutLastByte) {
    BlobPipe pipe(64, 4);
    ASSERT_TRUE(pipe.write("abcd", 4));
    pipe.finish(std::make_exception_ptr(std::runtime_error("digest mismatch")));

    char buffer[8];
    EXPECT_EQ(pipe.read(buffer, sizeof(buffer)), 3u);
    EXPECT_THROW(pipe.read(buffer, sizeof(buffer)), std::runtime_error);
    EXPECT_EQ(pipe.bytes_read(), 3u);
}

TEST(BlobPipe, AbandonUnblocksWriter) {
    BlobPipe pipe(4, 100);
    std::thread reader([&] {
        char buffer[2];
        EXPECT_EQ(pipe.read(buffer, sizeof(buffer)), 2u);
        pipe.abandon();
    });
    const std::string data(100, 'x');
    EXPECT_FALSE(pipe.write(data.data(), data.size()));
    reader.join();
}

TEST(BlobPipe, EmptyBlob) {
    BlobPipe pipe(4, 0);
    pipe.finish();
    char buffer[4];
    EXPECT_EQ(pipe.read(buffer, sizeof(buffer)), 0u);
}

} // namespace
} // namespace ferry::native
