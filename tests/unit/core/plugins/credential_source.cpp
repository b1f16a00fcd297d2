// A credential source with one behaviour chosen at build time, built several times under
// different names (SOURCE_NAME) for the credential chain tests. SOURCE_BEHAVIOUR is one of:
//   - SOURCE_FOUND: returns SOURCE_NAME-user, or the "username" setting, and a password made of
//     the query's registry, repository and side.
//   - SOURCE_NOT_FOUND: has nothing for any registry.
//   - SOURCE_FAILING: fails with FERRY_ERROR, as a denied vault or a locked keyring would.
//   - SOURCE_INVALID_INPUT: fails with FERRY_ERROR_INVALID_INPUT, as a malformed option would.
// Every instance appends SOURCE_NAME as one line to the file named by FERRY_TEST_CREATION_LOG,
// so that a test can tell which sources the chain created.
#include <ferry/sdk.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

#define SOURCE_FOUND 1
#define SOURCE_NOT_FOUND 2
#define SOURCE_FAILING 3
#define SOURCE_INVALID_INPUT 4

namespace {

void record_creation() {
    if (const char* log = std::getenv("FERRY_TEST_CREATION_LOG"); log != nullptr) {
        std::ofstream(log, std::ios::app) << SOURCE_NAME << '\n';
    }
}

class TestSource : public ferry::sdk::CredentialSource {
public:
    TestSource(ferry::sdk::Host, const ferry::sdk::Settings& settings)
        : username_(settings.get_or("username", std::string(SOURCE_NAME) + "-user")) {
        record_creation();
    }

    std::optional<ferry::sdk::Credential> lookup(const ferry::sdk::CredentialQuery& query) override {
#if SOURCE_BEHAVIOUR == SOURCE_FOUND
        ferry::sdk::Credential credential;
        credential.username = username_;
        credential.password = ferry::sdk::Secret("pw:" + query.registry + "/" + query.repository + ":" +
                                                 (query.role == FERRY_SIDE_SOURCE ? "source" : "destination"));
        return credential;
#elif SOURCE_BEHAVIOUR == SOURCE_NOT_FOUND
        (void)query;
        return std::nullopt;
#elif SOURCE_BEHAVIOUR == SOURCE_FAILING
        (void)query;
        throw ferry::sdk::Error(FERRY_ERROR, "the vault denied access to secret/registry");
#elif SOURCE_BEHAVIOUR == SOURCE_INVALID_INPUT
        (void)query;
        throw ferry::sdk::Error(FERRY_ERROR_INVALID_INPUT, "the option path is not an absolute path");
#else
#error "SOURCE_BEHAVIOUR must be one of SOURCE_FOUND, SOURCE_NOT_FOUND, SOURCE_FAILING, SOURCE_INVALID_INPUT"
#endif
    }

private:
    std::string username_;
};

} // namespace

FERRY_CREDENTIAL_PLUGIN(TestSource, SOURCE_NAME, "0.0.1", "A credential source with a fixed behaviour")
