// Owning handles for the GLib and libsecret objects that the keyring source keeps, so that every
// early return and exception releases them.
#pragma once

#include <glib-object.h>
#include <libsecret/secret.h>

#include <memory>
#include <string>

namespace ferry::keyring {

struct GObjectRelease {
    void operator()(gpointer object) const noexcept {
        if (object != nullptr) {
            g_object_unref(object);
        }
    }
};

template <typename T>
using GObjectHandle = std::unique_ptr<T, GObjectRelease>;

struct GErrorRelease {
    void operator()(GError* error) const noexcept { g_error_free(error); }
};

using GErrorHandle = std::unique_ptr<GError, GErrorRelease>;

struct SecretValueRelease {
    void operator()(SecretValue* value) const noexcept { secret_value_unref(value); }
};

using SecretValueHandle = std::unique_ptr<SecretValue, SecretValueRelease>;

struct GHashTableRelease {
    void operator()(GHashTable* table) const noexcept { g_hash_table_unref(table); }
};

using GHashTableHandle = std::unique_ptr<GHashTable, GHashTableRelease>;

} // namespace ferry::keyring
