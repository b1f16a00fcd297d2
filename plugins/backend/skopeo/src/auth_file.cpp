#include "auth_file.hpp"

#include <openssl/evp.h>

#include <cstdio>

namespace ferry::skopeo {

namespace {

// Appends text as the body of a JSON string literal.
void append_json_escaped(std::string& out, std::string_view text) {
    for (char character : text) {
        const auto byte = static_cast<unsigned char>(character);
        switch (character) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (byte < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
                out += escaped;
            } else {
                out += character;
            }
        }
    }
}

// The secret text of "user:password", wiped when it goes out of scope.
sdk::Secret basic_auth_value(const sdk::Credential& credential) {
    std::string pair = credential.username + ":" + credential.password.reveal();
    sdk::Secret encoded = base64_encode(pair);
    sdk::wipe(pair);
    return encoded;
}

} // namespace

AuthForm auth_form_of(const std::optional<sdk::Credential>& credential) {
    if (!credential) {
        return AuthForm::anonymous;
    }
    if (!credential->registry_token.empty()) {
        return AuthForm::registry_token;
    }
    if (!credential->identity_token.empty()) {
        return AuthForm::identity_token;
    }
    if (!credential->username.empty() || !credential->password.empty()) {
        return AuthForm::username_password;
    }
    return AuthForm::anonymous;
}

const char* describe(AuthForm form) {
    switch (form) {
    case AuthForm::anonymous:
        return "anonymous";
    case AuthForm::username_password:
        return "username and password";
    case AuthForm::identity_token:
        return "identity token";
    case AuthForm::registry_token:
        return "registry token";
    }
    return "unknown";
}

sdk::Secret base64_encode(std::string_view bytes) {
    std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                       reinterpret_cast<const unsigned char*>(bytes.data()),
                                       static_cast<int>(bytes.size()));
    encoded.resize(static_cast<std::size_t>(length));
    return sdk::Secret(std::move(encoded));
}

sdk::Secret render_auth_file(const std::string& registry, const sdk::Credential& credential) {
    const AuthForm form = auth_form_of(credential);
    if (form == AuthForm::registry_token) {
        throw sdk::Error(FERRY_ERROR_UNSUPPORTED,
                         "the skopeo backend cannot use the registry token for " + registry +
                             ": skopeo accepts one only on its command line, where other local "
                             "users could read it; use --backend native, or give a username and "
                             "password or an identity token");
    }
    if (credential.username.find(':') != std::string::npos) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "the username \"" + credential.username + "\" for " + registry +
                             " contains ':', which the registry auth format cannot represent");
    }

    if (form == AuthForm::username_password &&
        (credential.username.empty() || credential.password.empty())) {
        const std::string source =
            credential.source_name.empty() ? std::string("its source") : credential.source_name;
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT, "the credential for " + registry + " from " +
                                                        source +
                                                        " needs both a username and a password");
    }

    // Reserved up front so that growing the string leaves no partial copies of the secret behind.
    std::string text;
    text.reserve(256 + registry.size() + 2 * (credential.username.size() +
                                              credential.password.reveal().size() +
                                              credential.identity_token.reveal().size()));
    text += "{\"auths\":{\"";
    append_json_escaped(text, registry);
    text += "\":{";

    if (form == AuthForm::identity_token) {
        const std::string user = credential.username.empty() ? "<token>" : credential.username;
        text += "\"auth\":\"";
        text += base64_encode(user + ":").reveal();
        text += "\",\"identitytoken\":\"";
        append_json_escaped(text, credential.identity_token.reveal());
        text += "\"";
    } else if (form == AuthForm::username_password) {
        text += "\"auth\":\"";
        text += basic_auth_value(credential).reveal();
        text += "\"";
    }

    text += "}}}";
    return sdk::Secret(std::move(text));
}

std::vector<sdk::Secret> sensitive_strings(const sdk::Credential& credential) {
    std::vector<sdk::Secret> strings;
    if (!credential.password.empty()) {
        strings.push_back(credential.password);
        strings.push_back(basic_auth_value(credential));
    }
    if (!credential.identity_token.empty()) {
        strings.push_back(credential.identity_token);
    }
    if (!credential.registry_token.empty()) {
        strings.push_back(credential.registry_token);
    }
    return strings;
}

} // namespace ferry::skopeo
