// PluginHost, BackendInstance and CredentialInstance against real plugin libraries loaded with
// dlopen: the test plugins in plugins/, each copied into a scratch directory with a chosen mode.
#include "test_support.hpp"

#include <ferry/core/log.hpp>
#include <ferry/core/plugin_host.hpp>
#include <ferry/core/plugin_instance.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace ferry::core {
namespace {

using test::install_test_plugin;
using test::is_loaded;

constexpr const char* kProbeVariable = "FERRY_TEST_LOAD_PROBE";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A copy request whose C structs stay valid as long as the object lives.
struct CopyRequestView {
    std::string source_digest = "sha256:" + std::string(64, '5');
    std::string platform = "linux/arm64";
    ferry_image_reference source_image{};
    ferry_image_reference destination_image{};
    ferry_side source{};
    ferry_side destination{};
    std::vector<ferry_setting> settings = {{"up-to-date", "true"}};
    ferry_copy_request request{};

    CopyRequestView() {
        source_image.struct_size = sizeof(source_image);
        source_image.transport = FERRY_TRANSPORT_DOCKER;
        source_image.text = "docker://registry.example.com/team/app@sha256:5555";
        source_image.registry = "registry.example.com";
        source_image.repository = "team/app";
        source_image.digest = source_digest.c_str();
        destination_image = source_image;
        destination_image.registry = "mirror.example.com";
        destination_image.digest = nullptr;
        destination_image.tag = "v1";

        source.struct_size = sizeof(source);
        source.role = FERRY_SIDE_SOURCE;
        source.image = &source_image;
        source.tls_verify = 1;
        destination = source;
        destination.role = FERRY_SIDE_DESTINATION;
        destination.image = &destination_image;

        request.struct_size = sizeof(request);
        request.source = &source;
        request.destination = &destination;
        request.platform = platform.c_str();
        request.settings = settings.data();
        request.setting_count = settings.size();
    }
};

class PluginHostTest : public ::testing::Test {
protected:
    // The one entry the host recorded for file.
    const PluginInfo& entry_for(const PluginHost& host, const std::filesystem::path& file) {
        for (const PluginInfo& info : host.list()) {
            if (info.file == file) {
                return info;
            }
        }
        throw std::runtime_error("the host recorded nothing for " + file.string());
    }

    std::shared_ptr<LoadedPlugin> load_backend(PluginHost& host, const std::string& plugin,
                                               const std::string& name) {
        host.load_file(install_test_plugin(plugin, scratch_.path()));
        return host.find(name, FERRY_PLUGIN_BACKEND);
    }

    test::ScratchDirectory scratch_;
};

// Tests that prove a file was never mapped use the load-probe plugin, which sets this variable
// from its library constructor.
class PluginHostProbeTest : public PluginHostTest {
protected:
    test::ScopedEnvironment probe_{kProbeVariable, std::nullopt};

    static const char* probe_value() { return std::getenv(kProbeVariable); }
};

TEST_F(PluginHostTest, LoadsGoodBackend) {
    PluginHost host;
    std::filesystem::path file = install_test_plugin("good-backend", scratch_.path());

    host.load_file(file);

    ASSERT_EQ(host.list().size(), 1u);
    const PluginInfo& info = host.list().front();
    EXPECT_EQ(info.error, "");
    EXPECT_EQ(info.file, file);
    EXPECT_EQ(info.name, "test-backend");
    EXPECT_EQ(info.kind, FERRY_PLUGIN_BACKEND);
    EXPECT_EQ(info.version, "1.2.3");
    EXPECT_EQ(info.description, "Returns fixed copy results for the core tests");
    EXPECT_EQ(info.abi_version, 1u);
    EXPECT_TRUE(host.find("test-backend", FERRY_PLUGIN_BACKEND));
    EXPECT_FALSE(host.find("test-backend", FERRY_PLUGIN_CREDENTIAL_SOURCE));
    EXPECT_EQ(host.names(FERRY_PLUGIN_BACKEND), std::vector<std::string>{"test-backend"});
    EXPECT_TRUE(host.names(FERRY_PLUGIN_CREDENTIAL_SOURCE).empty());
}

TEST_F(PluginHostTest, BackendCopyCrossesAbi) {
    PluginHost host;
    auto plugin = load_backend(host, "good-backend", "test-backend");
    ASSERT_NE(plugin, nullptr);
    std::vector<std::tuple<std::string, uint64_t, uint64_t>> progress;
    std::string digest = "sha256:" + std::string(64, '7');
    BackendInstance backend(plugin, SettingMap{{"digest", digest}},
                            [&](const std::string& item, uint64_t done, uint64_t total) {
                                progress.emplace_back(item, done, total);
                            });
    CopyRequestView view;

    CopyOutcome outcome = backend.copy(view.request);

    EXPECT_EQ(outcome.digest, digest);
    EXPECT_EQ(outcome.source_digest, view.source_digest);
    EXPECT_EQ(outcome.platforms, "linux/arm64");
    EXPECT_EQ(outcome.bytes, 4096u);
    EXPECT_TRUE(outcome.up_to_date);
    ASSERT_EQ(progress.size(), 1u);
    EXPECT_EQ(progress[0], std::make_tuple(std::string("sha256:layer"), uint64_t{10}, uint64_t{20}));
}

TEST_F(PluginHostTest, BackendResolveDigestReceivesSide) {
    PluginHost host;
    auto plugin = load_backend(host, "good-backend", "test-backend");
    ASSERT_NE(plugin, nullptr);
    BackendInstance backend(plugin, {}, nullptr);
    CopyRequestView view;

    EXPECT_EQ(backend.resolve_digest(view.source, {}), "sha256:" + std::string(64, 'a'));
    EXPECT_EQ(backend.resolve_digest(view.destination, {}), "sha256:" + std::string(64, 'b'));
}

TEST_F(PluginHostTest, LoadsGoodCredentialSource) {
    PluginHost host;
    host.load_file(install_test_plugin("source-first", scratch_.path()));
    auto plugin = host.find("source-first", FERRY_PLUGIN_CREDENTIAL_SOURCE);
    ASSERT_NE(plugin, nullptr);
    EXPECT_EQ(plugin->info().kind, FERRY_PLUGIN_CREDENTIAL_SOURCE);
    CredentialInstance source(plugin, {});
    ferry_credential_query query{sizeof(ferry_credential_query), FERRY_SIDE_SOURCE, "registry.example.com",
                                 "team/app"};

    std::optional<FoundCredential> found = source.lookup(query);

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->username, "source-first-user");
    EXPECT_EQ(found->password.reveal(), "pw:registry.example.com/team/app:source");
    EXPECT_EQ(found->source_name, "source-first");
    EXPECT_TRUE(found->identity_token.empty());
    EXPECT_TRUE(found->registry_token.empty());
}

TEST_F(PluginHostTest, RejectsAbiVersionMismatch) {
    PluginHost host;
    std::filesystem::path file = install_test_plugin("abi-mismatch", scratch_.path());
    LogLevel previous_level = Logger::instance().level();
    Logger::instance().set_level(LogLevel::debug);
    test::StderrCapture capture;

    host.load_file(file);
    std::string log = capture.finish();
    Logger::instance().set_level(previous_level);

    const PluginInfo& info = entry_for(host, file);
    EXPECT_TRUE(contains(info.error, "ABI version 999")) << info.error;
    EXPECT_TRUE(contains(info.error, "ABI version 1;")) << info.error;
    EXPECT_EQ(info.abi_version, 999u);
    EXPECT_EQ(info.name, "");
    EXPECT_FALSE(host.find("test-abi-mismatch", FERRY_PLUGIN_BACKEND));
    EXPECT_FALSE(is_loaded(file));
    EXPECT_TRUE(contains(log, file.string())) << log;
    EXPECT_TRUE(contains(log, "999")) << log;
}

TEST_F(PluginHostTest, RejectsLibraryWithoutEntryPoint) {
    PluginHost host;
    std::filesystem::path file = install_test_plugin("no-entry-point", scratch_.path());

    host.load_file(file);

    const PluginInfo& info = entry_for(host, file);
    EXPECT_TRUE(contains(info.error, "missing entry point ferry_plugin_entry")) << info.error;
    EXPECT_EQ(info.abi_version, 0u);
    EXPECT_TRUE(host.names(FERRY_PLUGIN_BACKEND).empty());
    EXPECT_FALSE(is_loaded(file));
}

TEST_F(PluginHostTest, RejectsFileThatIsNotLibrary) {
    PluginHost host;
    std::filesystem::path file = scratch_.path() / "ferry-text.so";
    std::ofstream(file) << "not an ELF file\n";
    std::filesystem::permissions(file, std::filesystem::perms(0755), std::filesystem::perm_options::replace);

    host.load_file(file);

    EXPECT_TRUE(contains(entry_for(host, file).error, "cannot load library")) << entry_for(host, file).error;
}

TEST_F(PluginHostTest, RejectsDirectoryNamedLikeLibrary) {
    PluginHost host;
    std::filesystem::path directory = scratch_.path() / "ferry-directory.so";
    std::filesystem::create_directory(directory);
    std::filesystem::permissions(directory, std::filesystem::perms(0755), std::filesystem::perm_options::replace);

    host.load_file(directory);

    EXPECT_EQ(entry_for(host, directory).error, "not a regular file");
}

TEST_F(PluginHostTest, ThrowingConstructorFailsInstanceOnly) {
    PluginHost host;
    std::filesystem::path file = install_test_plugin("throwing-constructor", scratch_.path());
    host.load_file(file);
    EXPECT_EQ(entry_for(host, file).error, "");
    auto plugin = host.find("test-throwing-constructor", FERRY_PLUGIN_BACKEND);
    ASSERT_NE(plugin, nullptr);

    try {
        BackendInstance backend(plugin, {}, nullptr);
        FAIL() << "creating the instance succeeded";
    } catch (const PluginError& error) {
        std::string message = error.what();
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_TRUE(contains(message, "backend \"test-throwing-constructor\"")) << message;
        EXPECT_TRUE(contains(message, file.string())) << message;
        EXPECT_TRUE(contains(message, "failed to start")) << message;
        EXPECT_TRUE(contains(message, "cannot create the cache directory /nonexistent/cache")) << message;
    }

    // The host keeps working: another plugin still loads and copies.
    auto good = load_backend(host, "good-backend", "test-backend");
    ASSERT_NE(good, nullptr);
    BackendInstance backend(good, {}, nullptr);
    CopyRequestView view;
    EXPECT_EQ(backend.copy(view.request).digest, "sha256:" + std::string(64, 'd'));
}

// The message of a failed plugin call: plugin name, file, operation, then the plugin's text.
std::string plugin_failure(const LoadedPlugin& plugin, const std::string& operation, const std::string& message) {
    return "backend \"" + plugin.name() + "\" (" + plugin.info().file.string() + ") failed to " + operation + ": " +
           message;
}

TEST_F(PluginHostTest, SdkShimCatchesCopyException) {
    PluginHost host;
    auto plugin = load_backend(host, "throwing-copy", "test-throwing-copy");
    ASSERT_NE(plugin, nullptr);
    BackendInstance backend(plugin, {}, nullptr);
    CopyRequestView view;

    try {
        backend.copy(view.request);
        FAIL() << "copy succeeded";
    } catch (const PluginError& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_EQ(std::string(error.what()), plugin_failure(*plugin, "copy", "unexpected error: disk full while writing blob sha256:1234"));
    }
}

TEST_F(PluginHostTest, SdkShimKeepsErrorStatus) {
    PluginHost host;
    auto plugin = load_backend(host, "throwing-copy", "test-throwing-copy");
    ASSERT_NE(plugin, nullptr);
    BackendInstance backend(plugin, {}, nullptr);
    CopyRequestView view;

    try {
        backend.resolve_digest(view.source, {});
        FAIL() << "resolve_digest succeeded";
    } catch (const PluginError& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
        EXPECT_EQ(std::string(error.what()), plugin_failure(*plugin, "resolve a digest", "this backend cannot resolve digests"));
    }
}

TEST_F(PluginHostTest, HostCatchesStdExceptionFromRawPlugin) {
    PluginHost host;
    auto plugin = load_backend(host, "raw-throwing", "test-raw-throwing");
    ASSERT_NE(plugin, nullptr);
    BackendInstance backend(plugin, {}, nullptr);
    CopyRequestView view;

    try {
        backend.copy(view.request);
        FAIL() << "copy succeeded";
    } catch (const PluginError& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_EQ(std::string(error.what()), plugin_failure(*plugin, "copy", "exception escaped the plugin: raw copy failed on purpose"));
    }
}

TEST_F(PluginHostTest, OlderBackendTableLoadsWithoutAppendedEntry) {
    PluginHost host;
    auto plugin = load_backend(host, "raw-throwing", "test-raw-throwing");
    ASSERT_NE(plugin, nullptr);
    EXPECT_EQ(plugin->backend_api()->struct_size, offsetof(ferry_backend_api, check_credentials));
    BackendInstance backend(plugin, {}, nullptr);
    CopyRequestView view;

    try {
        backend.check_credentials(view.source, {});
        FAIL() << "check_credentials succeeded on a table without it";
    } catch (const PluginError& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
        EXPECT_EQ(std::string(error.what()), "backend \"test-raw-throwing\" cannot check credentials");
    }
}

TEST_F(PluginHostTest, HostCatchesUnknownExceptionFromRawPlugin) {
    PluginHost host;
    auto plugin = load_backend(host, "raw-throwing", "test-raw-throwing");
    ASSERT_NE(plugin, nullptr);
    BackendInstance backend(plugin, {}, nullptr);
    CopyRequestView view;

    try {
        backend.resolve_digest(view.source, {});
        FAIL() << "resolve_digest succeeded";
    } catch (const PluginError& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_EQ(std::string(error.what()), plugin_failure(*plugin, "resolve a digest", "exception of unknown type escaped the plugin"));
    }

    // The instance survives the escaped exception and fails the same way again.
    EXPECT_THROW(backend.copy(view.request), PluginError);
}

TEST_F(PluginHostTest, ErrorStatusKeepsStatusAndMessage) {
    PluginHost host;
    auto plugin = load_backend(host, "error-status", "test-error-status");
    ASSERT_NE(plugin, nullptr);
    BackendInstance backend(plugin, {}, nullptr);
    CopyRequestView view;

    try {
        backend.copy(view.request);
        FAIL() << "copy succeeded";
    } catch (const PluginError& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_TRANSIENT);
        EXPECT_EQ(std::string(error.what()), plugin_failure(*plugin, "copy", "registry.example.com answered 503 Service Unavailable"));
    }
    try {
        backend.resolve_digest(view.source, {});
        FAIL() << "resolve_digest succeeded";
    } catch (const PluginError& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_EQ(std::string(error.what()), plugin_failure(*plugin, "resolve a digest", "the source has no tag to resolve"));
    }
}

TEST_F(PluginHostTest, ErrorStatusFromCreateNamesPlugin) {
    PluginHost host;
    auto plugin = load_backend(host, "error-status", "test-error-status");
    ASSERT_NE(plugin, nullptr);

    try {
        BackendInstance backend(plugin, SettingMap{{"fail-create", "yes"}}, nullptr);
        FAIL() << "creating the instance succeeded";
    } catch (const PluginError& error) {
        std::string message = error.what();
        EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
        EXPECT_TRUE(contains(message, "backend \"test-error-status\"")) << message;
        EXPECT_TRUE(contains(message, plugin->info().file.string())) << message;
        EXPECT_TRUE(contains(message, "failed to start: fail-create is set to yes")) << message;
    }
}

TEST_F(PluginHostProbeTest, RejectsWorldWritableFile) {
    PluginHost host;
    std::filesystem::path file =
        install_test_plugin("load-probe", scratch_.path(), std::filesystem::perms(0666));

    host.load_file(file);

    const PluginInfo& info = entry_for(host, file);
    EXPECT_TRUE(contains(info.error, "writable by other users")) << info.error;
    EXPECT_TRUE(contains(info.error, "mode 666")) << info.error;
    EXPECT_FALSE(host.find("test-load-probe", FERRY_PLUGIN_BACKEND));
    EXPECT_EQ(probe_value(), nullptr);
}

TEST_F(PluginHostProbeTest, RejectsGroupWritableFile) {
    PluginHost host;
    std::filesystem::path file =
        install_test_plugin("load-probe", scratch_.path(), std::filesystem::perms(0775));

    host.load_file(file);

    const PluginInfo& info = entry_for(host, file);
    EXPECT_TRUE(contains(info.error, "writable by other users")) << info.error;
    EXPECT_TRUE(contains(info.error, "mode 775")) << info.error;
    EXPECT_EQ(probe_value(), nullptr);
}

TEST_F(PluginHostProbeTest, RejectsFileOwnedByAnotherUser) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "changing a file's owner needs root";
    }
    PluginHost host;
    std::filesystem::path file = install_test_plugin("load-probe", scratch_.path());
    ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);

    host.load_file(file);

    const PluginInfo& info = entry_for(host, file);
    EXPECT_TRUE(contains(info.error, "owned by another user (uid 65534)")) << info.error;
    EXPECT_EQ(probe_value(), nullptr);
}

TEST_F(PluginHostProbeTest, LoadsProbeFromAbsolutePath) {
    // Proves that the probe works, so that the tests expecting it unset can fail.
    PluginHost host;
    std::filesystem::path file = install_test_plugin("load-probe", scratch_.path());

    host.load_file(file);

    EXPECT_EQ(entry_for(host, file).error, "");
    ASSERT_NE(probe_value(), nullptr);
    EXPECT_EQ(std::string(probe_value()), file.string());
}

TEST_F(PluginHostProbeTest, LoadFileRejectsRelativePath) {
    std::filesystem::path file = install_test_plugin("load-probe", scratch_.path());
    test::ScopedWorkingDirectory working_directory(scratch_.path());
    PluginHost host;

    host.load_file("ferry-test-load-probe.so");
    host.load_file("./ferry-test-load-probe.so");

    ASSERT_EQ(host.list().size(), 2u);
    for (const PluginInfo& info : host.list()) {
        EXPECT_TRUE(contains(info.error, "not an absolute path")) << info.file << ": " << info.error;
    }
    EXPECT_FALSE(host.find("test-load-probe", FERRY_PLUGIN_BACKEND));
    EXPECT_EQ(probe_value(), nullptr);
    EXPECT_FALSE(is_loaded(file));
}

TEST_F(PluginHostProbeTest, AddDirectoryRejectsRelativePath) {
    install_test_plugin("load-probe", scratch_.path() / "plugins");
    test::ScopedWorkingDirectory working_directory(scratch_.path());
    PluginHost host;

    host.add_directory("plugins", "--plugin-dir");
    host.add_directory(".", "FERRY_PLUGIN_PATH");

    ASSERT_EQ(host.list().size(), 2u);
    EXPECT_EQ(host.list()[0].file, "plugins");
    EXPECT_TRUE(contains(host.list()[0].error, "from --plugin-dir is not an absolute path")) << host.list()[0].error;
    EXPECT_TRUE(contains(host.list()[1].error, "from FERRY_PLUGIN_PATH is not an absolute path"))
        << host.list()[1].error;
    EXPECT_TRUE(host.names(FERRY_PLUGIN_BACKEND).empty());
    EXPECT_EQ(probe_value(), nullptr);
}

TEST_F(PluginHostTest, AddDirectoryLoadsOnlySharedLibraries) {
    std::filesystem::path directory = scratch_.path() / "plugins";
    std::filesystem::path library = install_test_plugin("good-backend", directory);
    std::ofstream(directory / "README.txt") << "not a plugin\n";
    std::ofstream(directory / "ferry-test-good-backend.so.bak") << "not a plugin\n";
    PluginHost host;

    host.add_directory(directory, "--plugin-dir");

    ASSERT_EQ(host.list().size(), 1u);
    EXPECT_EQ(host.list()[0].file, library);
    EXPECT_EQ(host.list()[0].error, "");
}

TEST_F(PluginHostTest, MissingInstalledDirectoryIgnored) {
    PluginHost host;

    host.add_directory(scratch_.path() / "does-not-exist", "the installation");

    EXPECT_TRUE(host.list().empty());
}

TEST_F(PluginHostTest, MissingNamedDirectoryListedWithError) {
    PluginHost host;

    host.add_directory(scratch_.path() / "does-not-exist", "FERRY_PLUGIN_PATH");

    ASSERT_EQ(host.list().size(), 1u);
    EXPECT_EQ(host.list()[0].error, "plugin directory from FERRY_PLUGIN_PATH does not exist or is not a directory");
}

TEST_F(PluginHostProbeTest, WorldWritableDirectoryRefusedBeforeLoading) {
    std::filesystem::path directory = scratch_.path() / "open";
    std::filesystem::create_directories(directory);
    std::filesystem::path file = install_test_plugin("load-probe", directory);
    ASSERT_EQ(::chmod(directory.c_str(), 0777), 0);
    PluginHost host;

    host.add_directory(directory, "--plugin-dir");

    ASSERT_EQ(host.list().size(), 1u);
    EXPECT_NE(host.list()[0].error.find("writable by other users (mode 777)"), std::string::npos);
    EXPECT_EQ(probe_value(), nullptr);
    EXPECT_FALSE(test::is_loaded(file));
}

TEST_F(PluginHostTest, DuplicateNameInLaterDirectoryListedWithError) {
    std::filesystem::path first = install_test_plugin("good-backend", scratch_.path() / "first");
    std::filesystem::path second = install_test_plugin("good-backend", scratch_.path() / "second");
    PluginHost host;

    host.add_directory(scratch_.path() / "first", "the installation");
    host.add_directory(scratch_.path() / "second", "--plugin-dir");

    ASSERT_EQ(host.list().size(), 2u);
    EXPECT_EQ(entry_for(host, first).error, "");
    const std::string& error = entry_for(host, second).error;
    EXPECT_TRUE(contains(error, "a plugin named \"test-backend\" was already loaded from " + first.string()))
        << error;
    auto winner = host.find("test-backend", FERRY_PLUGIN_BACKEND);
    ASSERT_TRUE(winner);
    EXPECT_EQ(winner->info().file, first);
    EXPECT_EQ(host.names(FERRY_PLUGIN_BACKEND).size(), 1u);
}

TEST_F(PluginHostTest, DuplicateNameInOneDirectorySortedOrderWins) {
    std::filesystem::path directory = scratch_.path() / "plugins";
    std::filesystem::path later = install_test_plugin("good-backend", directory, std::filesystem::perms(0755), "b.so");
    std::filesystem::path earlier = install_test_plugin("good-backend", directory, std::filesystem::perms(0755), "a.so");
    PluginHost host;

    host.add_directory(directory, "--plugin-dir");

    auto winner = host.find("test-backend", FERRY_PLUGIN_BACKEND);
    ASSERT_TRUE(winner);
    EXPECT_EQ(winner->info().file, earlier);
    EXPECT_TRUE(contains(entry_for(host, later).error, "already loaded from " + earlier.string()))
        << entry_for(host, later).error;
}

TEST_F(PluginHostTest, LibraryStaysLoadedWhileInstanceLives) {
    std::filesystem::path file = install_test_plugin("good-backend", scratch_.path());
    auto host = std::make_unique<PluginHost>();
    host->load_file(file);
    auto plugin = host->find("test-backend", FERRY_PLUGIN_BACKEND);
    ASSERT_NE(plugin, nullptr);
    auto backend = std::make_unique<BackendInstance>(plugin, SettingMap{}, nullptr);
    plugin.reset();
    ASSERT_TRUE(is_loaded(file));

    host.reset();

    EXPECT_TRUE(is_loaded(file));
    CopyRequestView view;
    EXPECT_EQ(backend->copy(view.request).digest, "sha256:" + std::string(64, 'd'));

    backend.reset();

    EXPECT_FALSE(is_loaded(file));
}

TEST(DefaultPluginDirectories, InstalledDirectoryFirst) {
    test::ScopedEnvironment path("FERRY_PLUGIN_PATH", std::nullopt);
    std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe");

    auto directories = default_plugin_directories();

    ASSERT_EQ(directories.size(), 1u);
    EXPECT_EQ(directories[0].first, (executable.parent_path() / "../lib/ferry/plugins").lexically_normal());
    EXPECT_EQ(directories[0].second, "the installation");
}

TEST(DefaultPluginDirectories, PluginPathSplitAtColons) {
    test::ScopedEnvironment path("FERRY_PLUGIN_PATH", ":/opt/ferry/a::/opt/ferry/b:relative/dir:");

    auto directories = default_plugin_directories();

    ASSERT_EQ(directories.size(), 4u);
    EXPECT_EQ(directories[0].second, "the installation");
    EXPECT_EQ(directories[1].first, "/opt/ferry/a");
    EXPECT_EQ(directories[2].first, "/opt/ferry/b");
    // The relative entry is kept, and add_directory records it as an error instead of loading it.
    EXPECT_EQ(directories[3].first, "relative/dir");
    for (std::size_t i = 1; i < directories.size(); ++i) {
        EXPECT_EQ(directories[i].second, "FERRY_PLUGIN_PATH");
    }
}

TEST(DefaultPluginDirectories, EmptyPluginPathAddsNothing) {
    test::ScopedEnvironment path("FERRY_PLUGIN_PATH", "");

    EXPECT_EQ(default_plugin_directories().size(), 1u);
}

} // namespace
} // namespace ferry::core
