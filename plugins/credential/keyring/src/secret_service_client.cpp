#include "secret_service_client.hpp"

#include "call_deadline.hpp"

#include <cstdio>
#include <cstdlib>

namespace ferry::keyring {

namespace {

constexpr const char* kSecretServiceName = "org.freedesktop.secrets";
constexpr const char* kSecretServicePath = "/org/freedesktop/secrets";
constexpr const char* kSecretServiceInterface = "org.freedesktop.Secret.Service";
constexpr const char* kIsLockedError = "org.freedesktop.Secret.Error.IsLocked";

std::string format_seconds(std::chrono::milliseconds duration) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g s", static_cast<double>(duration.count()) / 1000.0);
    return text;
}

// The GError text without GDBus's "GDBus.Error:<name>: " prefix.
std::string describe(GError& error) {
    g_dbus_error_strip_remote_error(&error);
    return error.message != nullptr ? error.message : "unknown error";
}

bool is_remote_error(const GError& error, const char* name) {
    if (!g_dbus_error_is_remote_error(&error)) {
        return false;
    }
    gchar* remote = g_dbus_error_get_remote_error(&error);
    const bool matches = remote != nullptr && std::string_view(remote) == name;
    g_free(remote);
    return matches;
}

sdk::Error call_error(std::string_view step, GError& error, const CallDeadline& deadline,
                      std::chrono::milliseconds timeout) {
    if (deadline.interrupted()) {
        return sdk::Error(FERRY_ERROR_CANCELLED, std::string(step) + " was interrupted");
    }
    if (deadline.timed_out()) {
        return sdk::Error(FERRY_ERROR,
                          std::string(step) + " timed out after " + format_seconds(timeout) +
                              ": the Secret Service did not respond; it may be waiting for an "
                              "unlock prompt that cannot be shown");
    }
    if (is_remote_error(error, kIsLockedError)) {
        return sdk::Error(FERRY_ERROR, std::string(step) + " failed because the collection is "
                                           "locked; " + unlock_advice());
    }
    return sdk::Error(FERRY_ERROR, std::string(step) + " failed: " + describe(error));
}

// A hash table that borrows the strings of attributes, which must outlive it.
GHashTableHandle to_hash_table(const Attributes& attributes) {
    GHashTableHandle table(g_hash_table_new(g_str_hash, g_str_equal));
    for (const auto& [name, value] : attributes) {
        g_hash_table_insert(table.get(), const_cast<char*>(name.c_str()),
                            const_cast<char*>(value.c_str()));
    }
    return table;
}

Attributes read_attributes(SecretItem* item) {
    Attributes attributes;
    GHashTableHandle table(secret_item_get_attributes(item));
    if (!table) {
        return attributes;
    }

    GHashTableIter iter;
    gpointer name = nullptr;
    gpointer value = nullptr;
    g_hash_table_iter_init(&iter, table.get());
    while (g_hash_table_iter_next(&iter, &name, &value)) {
        attributes.emplace(static_cast<const char*>(name), static_cast<const char*>(value));
    }
    return attributes;
}

} // namespace

std::string unlock_advice() {
    return "unlock it (log in to the desktop session, or pipe the keyring password to "
           "`gnome-keyring-daemon --unlock`) and retry; ferry never asks to unlock because it "
           "may run without a display";
}

std::string session_bus_address() {
    const char* address = std::getenv("DBUS_SESSION_BUS_ADDRESS");
    if (address != nullptr && *address != '\0') {
        return address;
    }

    const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
    if (runtime_dir != nullptr && *runtime_dir != '\0') {
        const std::string socket = std::string(runtime_dir) + "/bus";
        if (g_file_test(socket.c_str(), G_FILE_TEST_EXISTS)) {
            gchar* escaped = g_dbus_address_escape_value(socket.c_str());
            std::string result = std::string("unix:path=") + escaped;
            g_free(escaped);
            return result;
        }
    }

    throw sdk::Error(FERRY_ERROR,
                     "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and "
                     "$XDG_RUNTIME_DIR/bus does not exist; run ferry inside a desktop session "
                     "or under dbus-run-session, or choose another credential source");
}

template <typename Result, typename Call>
Result SecretServiceClient::run(std::string_view step, Call&& call) {
    CallDeadline deadline(host_, call_timeout_);
    GError* raw_error = nullptr;
    Result result = call(deadline.cancellable(), &raw_error);
    if (raw_error != nullptr) {
        GErrorHandle error(raw_error);
        throw call_error(step, *error, deadline, call_timeout_);
    }
    return result;
}

SecretServiceClient::SecretServiceClient(const sdk::Host& host,
                                         std::chrono::milliseconds call_timeout)
    : host_(host), call_timeout_(call_timeout) {
    const std::string address = session_bus_address();

    // GLib's shared session connection reads the same address (DBUS_SESSION_BUS_ADDRESS, then
    // $XDG_RUNTIME_DIR/bus), which session_bus_address() has checked, so g_bus_get_sync()
    // never falls back to X11 autolaunch here. libsecret 0.20.5 aborts on a SecretService
    // proxy built on a private connection, so the shared one is used; GLib releases it when the
    // last reference goes, so a later client reads the environment again.
    connection_.reset(run<GDBusConnection*>(
        "connecting to the D-Bus session bus at " + address,
        [&](GCancellable* cancellable, GError** error) {
            return g_bus_get_sync(G_BUS_TYPE_SESSION, cancellable, error);
        }));
    // The shared connection would otherwise exit the whole process when the bus goes away.
    g_dbus_connection_set_exit_on_close(connection_.get(), FALSE);

    service_.reset(run<SecretService*>(
        "opening a Secret Service session (is gnome-keyring-daemon or another Secret Service "
        "provider running?)",
        [&](GCancellable* cancellable, GError** error) {
            return secret_service_open_sync(SECRET_TYPE_SERVICE, nullptr,
                                            SECRET_SERVICE_OPEN_SESSION, cancellable, error);
        }));
}

SecretServiceClient::~SecretServiceClient() = default;

std::vector<KeyringItem> SecretServiceClient::search(const SecretSchema& schema,
                                                     const Attributes& attributes) {
    GHashTableHandle table = to_hash_table(attributes);

    // SECRET_SEARCH_ALL returns locked items too, and SECRET_SEARCH_UNLOCK is deliberately
    // absent: it would ask the service to unlock them.
    GList* found = run<GList*>("searching the keyring", [&](GCancellable* cancellable,
                                                             GError** error) {
        return secret_service_search_sync(service_.get(), &schema, table.get(), SECRET_SEARCH_ALL,
                                          cancellable, error);
    });

    std::vector<KeyringItem> items;
    for (GList* node = found; node != nullptr; node = node->next) {
        KeyringItem entry;
        entry.item.reset(static_cast<SecretItem*>(node->data));
        entry.object_path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(entry.item.get()));
        entry.locked = secret_item_get_locked(entry.item.get()) != FALSE;
        entry.attributes = read_attributes(entry.item.get());
        entry.modified = secret_item_get_modified(entry.item.get());
        items.push_back(std::move(entry));
    }
    g_list_free(found);
    return items;
}

sdk::Secret SecretServiceClient::load_secret(const KeyringItem& item) {
    run<gboolean>("reading the secret of keyring item " + item.object_path,
                  [&](GCancellable* cancellable, GError** error) {
                      return secret_item_load_secret_sync(item.item.get(), cancellable, error);
                  });

    SecretValueHandle value(secret_item_get_secret(item.item.get()));
    if (!value) {
        throw sdk::Error(FERRY_ERROR, "keyring item " + item.object_path + " has no secret");
    }
    gsize length = 0;
    const gchar* bytes = secret_value_get(value.get(), &length);
    return sdk::Secret(std::string(bytes, length));
}

void SecretServiceClient::delete_item(const KeyringItem& item) {
    run<gboolean>("deleting keyring item " + item.object_path,
                  [&](GCancellable* cancellable, GError** error) {
                      return secret_item_delete_sync(item.item.get(), cancellable, error);
                  });
}

void SecretServiceClient::create_item(const SecretSchema& schema, const Attributes& attributes,
                                      const std::string& label, const sdk::Secret& secret) {
    GObjectHandle<SecretCollection> collection(run<SecretCollection*>(
        "finding the default keyring collection", [&](GCancellable* cancellable, GError** error) {
            return secret_collection_for_alias_sync(service_.get(), SECRET_COLLECTION_DEFAULT,
                                                    SECRET_COLLECTION_NONE, cancellable, error);
        }));
    if (!collection) {
        throw sdk::Error(FERRY_ERROR,
                         "the Secret Service has no default collection; create one, for "
                         "example by logging in to a desktop session once");
    }
    if (secret_collection_get_locked(collection.get())) {
        throw sdk::Error(FERRY_ERROR, "the default keyring collection is locked; " +
                                          unlock_advice());
    }

    GHashTableHandle table = to_hash_table(attributes);
    SecretValueHandle value(secret_value_new(secret.reveal().data(),
                                             static_cast<gssize>(secret.reveal().size()),
                                             "text/plain"));
    GObjectHandle<SecretItem> created(run<SecretItem*>(
        "storing the keyring item", [&](GCancellable* cancellable, GError** error) {
            return secret_item_create_sync(collection.get(), &schema, table.get(), label.c_str(),
                                           value.get(), SECRET_ITEM_CREATE_REPLACE, cancellable,
                                           error);
        }));
}

} // namespace ferry::keyring
