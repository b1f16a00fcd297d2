#include "helper_output.hpp"

#include "json_text.hpp"

namespace ferry::docker_config {
namespace {

std::string_view trim(std::string_view text) {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const std::size_t last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string string_field(const nlohmann::json& output, const char* field) {
    auto found = output.find(field);
    if (found == output.end() || found->is_null()) {
        return {};
    }
    if (!found->is_string()) {
        throw HelperOutputError(std::string("\"") + field + "\" is a JSON " + found->type_name() +
                                ", expected a string");
    }
    return found->get<std::string>();
}

} // namespace

bool is_not_found_output(std::string_view stdout_text) {
    return trim(stdout_text) == credentials_not_found_message;
}

bool is_no_session_bus_output(std::string_view text) {
    // The two messages of GLib's gdbusaddress.c (GLib 2.74 in Debian 12) for a missing session
    // bus address: without $DISPLAY, and without a machine ID for dbus-launch.
    const std::string_view trimmed = trim(text);
    return trimmed.rfind("Cannot autolaunch D-Bus without X11 $DISPLAY", 0) == 0 ||
           trimmed.rfind("Cannot spawn a message bus without a machine-id", 0) == 0;
}

sdk::Credential parse_helper_output(std::string_view text) {
    SecretJson output;
    try {
        output = SecretJson(parse_json(text));
    } catch (const JsonSyntaxError& error) {
        throw HelperOutputError(error.what());
    }
    if (!output.get().is_object()) {
        throw HelperOutputError(std::string("the output is a JSON ") + output.get().type_name() +
                                ", expected an object");
    }

    sdk::Credential credential;
    std::string username = string_field(output.get(), "Username");
    sdk::Secret secret(string_field(output.get(), "Secret"));
    if (username == identity_token_username) {
        credential.identity_token = std::move(secret);
    } else {
        credential.username = std::move(username);
        credential.password = std::move(secret);
    }
    return credential;
}

} // namespace ferry::docker_config
