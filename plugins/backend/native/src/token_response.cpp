#include "token_response.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace ferry::native {
namespace {

std::string string_member(const nlohmann::json& object, const char* name) {
    const auto found = object.find(name);
    if (found == object.end() || !found->is_string()) {
        return {};
    }
    return found->get<std::string>();
}

std::chrono::seconds lifetime(const nlohmann::json& object) {
    const auto found = object.find("expires_in");
    if (found == object.end() || !found->is_number()) {
        return kMinimumTokenLifetime;
    }

    const double seconds = found->get<double>();
    if (!(seconds >= static_cast<double>(kMinimumTokenLifetime.count()))) {
        return kMinimumTokenLifetime;
    }
    // Ten years is far beyond any real token and keeps the time_point arithmetic in range.
    constexpr double kMaximumSeconds = 10.0 * 365 * 24 * 3600;
    return std::chrono::seconds(static_cast<long long>(std::min(seconds, kMaximumSeconds)));
}

} // namespace

BearerToken parse_token_response(std::string_view body,
                                 std::chrono::steady_clock::time_point received_at) {
    const auto object = nlohmann::json::parse(body, nullptr, false);
    if (object.is_discarded() || !object.is_object()) {
        throw std::runtime_error("the token service returned something other than a JSON object");
    }

    ferry::sdk::Secret token(string_member(object, "token"));
    if (token.empty()) {
        token = ferry::sdk::Secret(string_member(object, "access_token"));
    }
    if (token.empty()) {
        throw std::runtime_error("the token service response has neither \"token\" nor \"access_token\"");
    }

    return BearerToken{std::move(token), received_at + lifetime(object)};
}

} // namespace ferry::native
