// A connection to the Secret Service (org.freedesktop.secrets) on the D-Bus session bus.
#pragma once

#include "glib_handles.hpp"

#include <ferry/sdk.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::keyring {

using Attributes = std::map<std::string, std::string>;

// One item that a search found.
struct KeyringItem {
    GObjectHandle<SecretItem> item;
    std::string object_path;
    bool locked = false;
    // gnome-keyring hides the attributes of items in a collection that was never unlocked
    // since it started. The attributes are then empty here.
    Attributes attributes;
    std::uint64_t modified = 0; // seconds since the epoch
};

// Talks to the Secret Service on the session bus whose address is current when it is created.
//
// Contract: no call ever unlocks a collection or shows a prompt, because ferry runs in CI
// without a display. Every call has its own timeout and stops early when the user interrupts
// ferry. Failures throw sdk::Error with a message that has no "keyring:" prefix and no
// secret, and the caller adds the registry.
class SecretServiceClient {
public:
    // Connects and opens a session for transferring secrets. Throws when there is no session
    // bus, no Secret Service on it, or it does not respond within call_timeout.
    SecretServiceClient(const sdk::Host& host, std::chrono::milliseconds call_timeout);
    ~SecretServiceClient();

    SecretServiceClient(const SecretServiceClient&) = delete;
    SecretServiceClient& operator=(const SecretServiceClient&) = delete;

    // Items in any collection, locked or not, whose attributes equal the given ones.
    std::vector<KeyringItem> search(const SecretSchema& schema, const Attributes& attributes);

    // The secret of an unlocked item.
    sdk::Secret load_secret(const KeyringItem& item);

    void delete_item(const KeyringItem& item);

    // Creates an item in the default collection, replacing one with the same attributes.
    // Throws when the default collection is locked instead of asking to unlock it.
    void create_item(const SecretSchema& schema, const Attributes& attributes,
                     const std::string& label, const sdk::Secret& secret);

private:
    template <typename Result, typename Call>
    Result run(std::string_view step, Call&& call);

    sdk::Host host_;
    std::chrono::milliseconds call_timeout_;
    GObjectHandle<GDBusConnection> connection_;
    GObjectHandle<SecretService> service_;
};

// What to tell the user about a locked collection, as the end of an error message.
std::string unlock_advice();

// The D-Bus address of the session bus: DBUS_SESSION_BUS_ADDRESS, else the standard socket
// $XDG_RUNTIME_DIR/bus when it exists. Never starts a bus (GLib's X11 autolaunch would).
// Throws sdk::Error when there is none.
std::string session_bus_address();

} // namespace ferry::keyring
