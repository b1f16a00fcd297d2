// The built plugin module, loaded with dlopen and driven through the C ABI as the host does.
#include "test_support.hpp"

#include <ferry/plugin.h>

#include <gtest/gtest.h>

#include <dlfcn.h>

#ifndef FERRY_DOCKER_CONFIG_MODULE
#error "FERRY_DOCKER_CONFIG_MODULE must name the built ferry-docker-config.so"
#endif

namespace ferry::docker_config {
namespace {

using testing::RecordingHost;
using testing::TempDir;

class PluginModule : public ::testing::Test {
protected:
    void SetUp() override {
        handle_ = ::dlopen(FERRY_DOCKER_CONFIG_MODULE, RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(handle_, nullptr) << ::dlerror();
        auto entry = reinterpret_cast<ferry_plugin_entry_fn>(::dlsym(handle_, FERRY_PLUGIN_ENTRY_SYMBOL));
        ASSERT_NE(entry, nullptr) << ::dlerror();
        descriptor_ = entry();
        ASSERT_NE(descriptor_, nullptr);
        api_ = static_cast<const ferry_credential_api*>(descriptor_->api);
    }

    void TearDown() override {
        if (handle_ != nullptr) {
            ::dlclose(handle_);
        }
    }

    // Creates an instance reading only authfile; returns the status.
    int32_t create(const std::string& authfile, void** instance) {
        const ferry_setting settings[] = {{"authfile", authfile.c_str()}};
        return api_->create(host_.api(), settings, 1, instance);
    }

    void* handle_ = nullptr;
    const ferry_plugin_descriptor* descriptor_ = nullptr;
    const ferry_credential_api* api_ = nullptr;
    RecordingHost host_;
    TempDir dir_;
};

TEST_F(PluginModule, DescriptorNamesCredentialSource) {
    EXPECT_EQ(descriptor_->abi_version, FERRY_PLUGIN_ABI_VERSION);
    EXPECT_EQ(descriptor_->kind, FERRY_PLUGIN_CREDENTIAL_SOURCE);
    EXPECT_STREQ(descriptor_->name, "docker-config");
    EXPECT_NE(api_->lookup, nullptr);
}

TEST_F(PluginModule, OnlyEntryPointExported) {
    EXPECT_EQ(::dlsym(handle_, "_ZN5ferry13docker_config13decode_base64ESt17basic_string_viewIcSt11char_traitsIcEE"),
              nullptr);
}

TEST_F(PluginModule, LookupThroughAbi) {
    const std::string authfile = dir_.str("auth.json");
    testing::write_file(authfile, R"({"auths": {"reg.example": )" + testing::auth_entry("abi-user", "abi-pw") + "}}");
    void* instance = nullptr;
    ASSERT_EQ(create(authfile, &instance), FERRY_OK) << host_.last_error;

    ferry_credential_query query{sizeof(ferry_credential_query), FERRY_SIDE_SOURCE, "reg.example", "team/app"};
    ferry_credential credential{};
    credential.struct_size = sizeof(credential);
    ASSERT_EQ(api_->lookup(instance, &query, &credential), FERRY_OK) << host_.last_error;
    EXPECT_STREQ(credential.username, "abi-user");
    EXPECT_STREQ(credential.password, "abi-pw");
    EXPECT_EQ(credential.identity_token, nullptr);
    EXPECT_EQ(std::string(credential.source_name), "docker-config (" + authfile + ")");

    ferry_credential_query other{sizeof(ferry_credential_query), FERRY_SIDE_DESTINATION, "other.example", nullptr};
    ferry_credential nothing{};
    nothing.struct_size = sizeof(nothing);
    EXPECT_EQ(api_->lookup(instance, &other, &nothing), FERRY_NOT_FOUND);
    api_->destroy(instance);
}

TEST_F(PluginModule, MalformedFileReportsErrorThroughHost) {
    const std::string authfile = dir_.str("auth.json");
    testing::write_file(authfile, "{\"auths\": ");
    void* instance = nullptr;
    ASSERT_EQ(create(authfile, &instance), FERRY_OK) << host_.last_error;

    ferry_credential_query query{sizeof(ferry_credential_query), FERRY_SIDE_SOURCE, "reg.example", nullptr};
    ferry_credential credential{};
    credential.struct_size = sizeof(credential);
    EXPECT_EQ(api_->lookup(instance, &query, &credential), FERRY_ERROR);
    EXPECT_NE(host_.last_error.find(authfile + ": not valid JSON at line 1"), std::string::npos) << host_.last_error;
    api_->destroy(instance);
}

TEST_F(PluginModule, MissingAuthfileFailsCreate) {
    void* instance = reinterpret_cast<void*>(0x1);
    EXPECT_EQ(create(dir_.str("missing.json"), &instance), FERRY_ERROR_INVALID_INPUT);
    EXPECT_EQ(instance, nullptr);
    EXPECT_NE(host_.last_error.find("does not exist"), std::string::npos) << host_.last_error;
}

} // namespace
} // namespace ferry::docker_config
