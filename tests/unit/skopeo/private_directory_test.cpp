#include "fake_skopeo.hpp"
#include "private_directory.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

namespace ferry::skopeo {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

// Sets the process umask for the lifetime of the object.
class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
    ~ScopedUmask() { ::umask(old_); }

private:
    mode_t old_;
};

TEST(PrivateDirectory, CreatedWithMode0700UnderBase) {
    testing::ScratchDirectory base("ferry-private-base");
    ScopedUmask umask(0);

    PrivateDirectory directory = PrivateDirectory::create(base.path().string());

    EXPECT_EQ(fs::path(directory.path()).parent_path(), base.path());
    EXPECT_EQ(fs::path(directory.path()).filename().string().rfind("ferry-skopeo-", 0), 0u);
    EXPECT_EQ(mode_of(directory.path()), 0700u);
}

TEST(PrivateDirectory, FilesHaveMode0600DespiteUmask) {
    testing::ScratchDirectory base("ferry-private-base");
    ScopedUmask umask(0);
    PrivateDirectory directory = PrivateDirectory::create(base.path().string());

    const std::string path = directory.write_file("auth.json", "{\"auths\":{}}");

    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(testing::read_text(path), "{\"auths\":{}}");
}

TEST(PrivateDirectory, WriteFileRejectsExistingLink) {
    testing::ScratchDirectory base("ferry-private-base");
    PrivateDirectory directory = PrivateDirectory::create(base.path().string());
    const fs::path target = base.path() / "target";
    fs::create_symlink(target, directory.file("auth.json"));

    EXPECT_THROW(directory.write_file("auth.json", "secret"), sdk::Error);
    EXPECT_FALSE(fs::exists(target));
}

TEST(PrivateDirectory, NestedDirectoriesHaveMode0700) {
    testing::ScratchDirectory base("ferry-private-base");
    ScopedUmask umask(0);
    PrivateDirectory directory = PrivateDirectory::create(base.path().string());

    const std::string path = directory.make_directory("home/.config/containers");

    EXPECT_EQ(mode_of(path), 0700u);
    EXPECT_EQ(mode_of(directory.file("home")), 0700u);
}

TEST(PrivateDirectory, DestructorRemovesEverything) {
    testing::ScratchDirectory base("ferry-private-base");
    {
        PrivateDirectory directory = PrivateDirectory::create(base.path().string());
        directory.make_directory("home/.config");
        directory.write_file("home/.config/file", "x");
    }
    EXPECT_EQ(base.entries(), std::vector<std::string>{});
}

TEST(PrivateDirectory, MovedFromObjectRemovesNothing) {
    testing::ScratchDirectory base("ferry-private-base");
    PrivateDirectory first = PrivateDirectory::create(base.path().string());
    const std::string path = first.path();
    {
        PrivateDirectory second = std::move(first);
        EXPECT_TRUE(fs::exists(path));
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(first.remove());
}

TEST(PrivateDirectory, UsesTmpdirByDefault) {
    testing::ScratchDirectory base("ferry-private-base");
    const char* old = std::getenv("TMPDIR");
    const std::string saved = old == nullptr ? std::string() : old;
    ::setenv("TMPDIR", base.path().c_str(), 1);

    std::string created;
    {
        PrivateDirectory directory = PrivateDirectory::create();
        created = directory.path();
    }

    if (old == nullptr) {
        ::unsetenv("TMPDIR");
    } else {
        ::setenv("TMPDIR", saved.c_str(), 1);
    }
    EXPECT_EQ(fs::path(created).parent_path(), base.path());
}

TEST(PrivateDirectory, UnwritableBaseNamesTheDirectory) {
    try {
        PrivateDirectory::create("/nonexistent/ferry-base");
        FAIL() << "created a directory under a missing base";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_NE(std::string(error.what()).find("/nonexistent/ferry-base"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("TMPDIR"), std::string::npos);
    }
}

} // namespace
} // namespace ferry::skopeo
