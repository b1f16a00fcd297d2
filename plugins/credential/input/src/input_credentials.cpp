#include "input_credentials.hpp"

namespace ferry::input {
namespace {

struct Field {
    std::optional<std::string> value;
    std::string origin;
};

Field read_field(const sdk::Settings& settings, const std::string& key) {
    Field field;
    field.value = settings.get(key);
    field.origin = settings.get_or(key + "-origin", "--" + key);
    return field;
}

[[noreturn]] void reject(const std::string& message) { throw sdk::Error(FERRY_ERROR_INVALID_INPUT, message); }

} // namespace

std::optional<InputCredential> resolve_input_credential(const sdk::Settings& settings, const std::string& prefix) {
    Field combined = read_field(settings, prefix + "-creds");
    Field username = read_field(settings, prefix + "-username");
    Field password = read_field(settings, prefix + "-password");
    if (!combined.value && !username.value && !password.value) {
        return std::nullopt;
    }

    InputCredential credential;
    std::string user_origin;
    std::string password_origin;
    if (combined.value) {
        std::size_t colon = combined.value->find(':');
        if (colon == std::string::npos) {
            reject(combined.origin + " has no ':' and so no password; write USER:PASSWORD "
                   "(the password may itself contain ':')");
        }
        credential.username = combined.value->substr(0, colon);
        credential.password = sdk::Secret(combined.value->substr(colon + 1));
        user_origin = combined.origin;
        password_origin = combined.origin;
    }
    if (username.value) {
        credential.username = *username.value;
        user_origin = username.origin;
    }
    if (password.value) {
        credential.password = sdk::Secret(*password.value);
        password_origin = password.origin;
    }

    if (credential.username.empty()) {
        reject(password.value && !combined.value
                   ? password.origin + " was given without a user name; add --" + prefix + "-username"
                   : user_origin + " has an empty user name; write USER:PASSWORD");
    }
    if (credential.username.find(':') != std::string::npos) {
        reject(user_origin + " contains ':', which a registry user name cannot contain; "
               "the password goes after the first ':' of USER:PASSWORD or in its own option");
    }
    if (credential.password.empty()) {
        reject(password_origin.empty()
                   ? user_origin + " was given without a password; add --" + prefix + "-password-stdin or set the "
                                   "password in the environment (ferry does not prompt)"
                   : password_origin + " gives an empty password; write USER:PASSWORD with a non-empty password");
    }

    credential.description = user_origin == password_origin
                                 ? user_origin
                                 : "user from " + user_origin + ", password from " + password_origin;
    if (combined.value && (username.value || password.value)) {
        credential.description += " (overriding " + combined.origin + ")";
    }
    return credential;
}

} // namespace ferry::input
