#include "silent_secret_service.hpp"

#include <stdexcept>

namespace ferry::keyring::testing {

namespace {

constexpr const char* kIntrospection =
    "<node>"
    "  <interface name='org.freedesktop.Secret.Service'>"
    "    <method name='OpenSession'>"
    "      <arg name='algorithm' type='s' direction='in'/>"
    "      <arg name='input' type='v' direction='in'/>"
    "      <arg name='output' type='v' direction='out'/>"
    "      <arg name='result' type='o' direction='out'/>"
    "    </method>"
    "  </interface>"
    "</node>";

} // namespace

SilentSecretService::SilentSecretService(const std::string& address) : address_(address) {
    g_mutex_init(&mutex_);
    g_cond_init(&ready_);
    thread_ = std::thread([this] { serve(); });

    g_mutex_lock(&mutex_);
    while (!started_) {
        g_cond_wait(&ready_, &mutex_);
    }
    const std::string failure = failure_;
    g_mutex_unlock(&mutex_);
    if (!failure.empty()) {
        thread_.join();
        throw std::runtime_error(failure);
    }
}

SilentSecretService::~SilentSecretService() {
    // An idle source, because a g_main_loop_quit() that comes before g_main_loop_run() is lost.
    GSource* quit = g_idle_source_new();
    g_source_set_callback(
        quit,
        [](gpointer loop) {
            g_main_loop_quit(static_cast<GMainLoop*>(loop));
            return G_SOURCE_REMOVE;
        },
        loop_, nullptr);
    g_source_attach(quit, context_);
    g_source_unref(quit);
    thread_.join();
    g_mutex_clear(&mutex_);
    g_cond_clear(&ready_);
}

int SilentSecretService::unanswered_calls() const {
    auto* self = const_cast<SilentSecretService*>(this);
    g_mutex_lock(&self->mutex_);
    const int count = static_cast<int>(pending_.size());
    g_mutex_unlock(&self->mutex_);
    return count;
}

void SilentSecretService::serve() {
    context_ = g_main_context_new();
    g_main_context_push_thread_default(context_);
    loop_ = g_main_loop_new(context_, FALSE);

    GError* error = nullptr;
    const auto flags = static_cast<GDBusConnectionFlags>(
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION);
    GDBusConnection* connection =
        g_dbus_connection_new_for_address_sync(address_.c_str(), flags, nullptr, nullptr, &error);

    GDBusNodeInfo* node = g_dbus_node_info_new_for_xml(kIntrospection, nullptr);
    guint registration = 0;
    if (connection != nullptr) {
        static const GDBusInterfaceVTable vtable = {
            [](GDBusConnection*, const gchar*, const gchar*, const gchar*, const gchar*,
               GVariant*, GDBusMethodInvocation* invocation, gpointer user_data) {
                // Keep the invocation and never reply.
                auto* self = static_cast<SilentSecretService*>(user_data);
                g_mutex_lock(&self->mutex_);
                self->pending_.push_back(invocation);
                g_mutex_unlock(&self->mutex_);
            },
            nullptr, nullptr, {}};
        registration = g_dbus_connection_register_object(
            connection, "/org/freedesktop/secrets", node->interfaces[0], &vtable, this, nullptr,
            &error);
    }
    if (registration != 0) {
        GVariant* reply = g_dbus_connection_call_sync(
            connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "RequestName", g_variant_new("(su)", "org.freedesktop.secrets", 0u),
            G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 10000, nullptr, &error);
        if (reply != nullptr) {
            g_variant_unref(reply);
        }
    }

    g_mutex_lock(&mutex_);
    if (error != nullptr) {
        failure_ = std::string("starting the silent Secret Service failed: ") + error->message;
        g_error_free(error);
    }
    started_ = true;
    const bool failed = !failure_.empty();
    g_cond_signal(&ready_);
    g_mutex_unlock(&mutex_);

    if (!failed) {
        g_main_loop_run(loop_);
    }

    for (GDBusMethodInvocation* invocation : pending_) {
        g_dbus_method_invocation_return_dbus_error(invocation, "org.freedesktop.DBus.Error.Failed",
                                                   "the test ended");
    }
    pending_.clear();
    if (registration != 0) {
        g_dbus_connection_unregister_object(connection, registration);
    }
    if (connection != nullptr) {
        g_dbus_connection_close_sync(connection, nullptr, nullptr);
        g_object_unref(connection);
    }
    g_dbus_node_info_unref(node);
    g_main_loop_unref(loop_);
    g_main_context_pop_thread_default(context_);
    g_main_context_unref(context_);
}

} // namespace ferry::keyring::testing
