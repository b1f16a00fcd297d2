/*
 * The ferry plugin ABI: the only contract between the ferry host and a plugin library.
 *
 * A plugin is a shared library that exports one C function, FERRY_PLUGIN_ENTRY_SYMBOL, which
 * returns a pointer to a static ferry_plugin_descriptor. The host reads abi_version first and
 * uses nothing else from a plugin whose ABI version differs from FERRY_PLUGIN_ABI_VERSION.
 *
 * Evolution rules (within one ABI version):
 *   - Every struct starts with struct_size. New fields are only ever appended.
 *   - A reader checks struct_size before touching a field that a newer header added
 *     (FERRY_HAS_FIELD below), so old plugins work with new hosts and the other way round.
 *   - Removing or reordering a field, or changing a type, needs a new ABI version.
 *
 * Ownership:
 *   - Strings and structs that the host passes in are borrowed for the duration of the call.
 *     A plugin copies what it wants to keep.
 *   - Strings that a plugin returns (descriptor fields, result structs) are owned by the plugin.
 *     Descriptor strings live as long as the library. Result strings stay valid until the next
 *     call on the same instance or until it is destroyed; the host copies them at once.
 *   - Error messages go through ferry_host_api.set_error, which copies the text at once.
 *
 * Errors: no C++ exception may leave a function of this ABI. Every call returns a ferry_status.
 *
 * Threading: the host calls one instance from one thread at a time. Distinct instances may be
 * used from different threads. The ferry_host_api callbacks are thread-safe, so a plugin may
 * call them from worker threads of its own while a host call on that instance is running.
 *
 * Secrets: passwords and tokens are borrowed like any other string. A plugin must not log them,
 * must not put them into error messages, and should wipe its own copies when it frees them.
 */
#ifndef FERRY_PLUGIN_H
#define FERRY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define FERRY_PLUGIN_ABI_VERSION 1u
#define FERRY_PLUGIN_ENTRY_SYMBOL "ferry_plugin_entry"

#if defined(_WIN32)
#define FERRY_PLUGIN_EXPORT __declspec(dllexport)
#else
#define FERRY_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* True when a struct of the given struct_size contains FIELD of TYPE in full. */
#ifdef __cplusplus
#define FERRY_HAS_FIELD(TYPE, POINTER, FIELD) \
    ((POINTER)->struct_size >= offsetof(TYPE, FIELD) + sizeof(static_cast<TYPE*>(nullptr)->FIELD))
#else
#define FERRY_HAS_FIELD(TYPE, POINTER, FIELD) \
    ((POINTER)->struct_size >= offsetof(TYPE, FIELD) + sizeof(((TYPE*)0)->FIELD))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ferry_plugin_kind {
    FERRY_PLUGIN_BACKEND = 1,
    FERRY_PLUGIN_CREDENTIAL_SOURCE = 2
} ferry_plugin_kind;

typedef enum ferry_status {
    FERRY_OK = 0,
    /* A credential source has nothing stored for the registry. Not an error. */
    FERRY_NOT_FOUND = 1,
    /* A failure that another backend would meet too: the copy stops here. */
    FERRY_ERROR = 2,
    /* This backend cannot serve the request (tool missing, feature unsupported); the host
       tries the next backend in --backend order. */
    FERRY_ERROR_UNSUPPORTED = 3,
    /* A network-class failure (reset, timeout, 5xx) that a retry may fix. */
    FERRY_ERROR_TRANSIENT = 4,
    /* The request itself is invalid; ferry exits with the usage error code. */
    FERRY_ERROR_INVALID_INPUT = 5,
    /* The host asked the plugin to stop (SIGINT, SIGTERM). */
    FERRY_ERROR_CANCELLED = 6
} ferry_status;

typedef enum ferry_log_level {
    FERRY_LOG_DEBUG = 1,
    FERRY_LOG_INFO = 2,
    FERRY_LOG_WARNING = 3,
    FERRY_LOG_ERROR = 4
} ferry_log_level;

typedef enum ferry_transport {
    FERRY_TRANSPORT_DOCKER = 1,    /* a registry speaking the OCI distribution API */
    FERRY_TRANSPORT_OCI_LAYOUT = 2 /* an OCI image layout directory */
} ferry_transport;

typedef enum ferry_side_role {
    FERRY_SIDE_SOURCE = 1,
    FERRY_SIDE_DESTINATION = 2
} ferry_side_role;

/* Services the host offers to one plugin instance. All callbacks copy their string arguments
   before returning and may be called from any thread. */
typedef struct ferry_host_api {
    uint32_t struct_size;
    void* context; /* pass back as the first argument of every callback */
    void (*log)(void* context, int32_t level, const char* message);
    /* Records the message that explains the status the current call is about to return. */
    void (*set_error)(void* context, const char* message);
    /* Non-zero once the user interrupted ferry; long operations poll it and stop early. */
    int32_t (*is_cancelled)(void* context);
    /* Progress of one transfer item (a blob digest); total is 0 when unknown. */
    void (*progress)(void* context, const char* item, uint64_t done, uint64_t total);
} ferry_host_api;

/* One key=value setting. Keys are lowercase words joined by '-'. */
typedef struct ferry_setting {
    const char* key;
    const char* value;
} ferry_setting;

/* Registry credentials. Unused fields are NULL. */
typedef struct ferry_credential {
    uint32_t struct_size;
    const char* username;
    const char* password;
    const char* identity_token; /* an OAuth2 refresh token, as docker's "identitytoken" */
    const char* registry_token; /* a bearer token sent as-is, as docker's "registrytoken" */
    const char* source_name;    /* the credential source that supplied it, for logs */
} ferry_credential;

/* A parsed image reference; the host has validated it against the reference grammar. */
typedef struct ferry_image_reference {
    uint32_t struct_size;
    int32_t transport;      /* ferry_transport */
    const char* text;       /* canonical text: docker://docker.io/library/alpine:latest */
    const char* registry;   /* docker: "docker.io", "127.0.0.1:5000"; NULL for a layout */
    const char* repository; /* docker: "library/alpine"; NULL for a layout */
    const char* tag;        /* NULL when absent */
    const char* digest;     /* "sha256:<hex>", NULL when absent */
    const char* path;       /* layout: absolute directory; NULL for docker */
    const char* layout_ref; /* layout: org.opencontainers.image.ref.name, NULL when absent */
} ferry_image_reference;

/* One side of a copy: where the image is and how to reach it. */
typedef struct ferry_side {
    uint32_t struct_size;
    int32_t role; /* ferry_side_role */
    const ferry_image_reference* image;
    const ferry_credential* credential; /* NULL: anonymous */
    int32_t tls_verify;   /* 1: verify; 0: skip verification and allow plain HTTP */
    const char* cert_dir; /* NULL, or a directory with CA *.crt and client *.cert and *.key files */
} ferry_side;

typedef struct ferry_copy_request {
    uint32_t struct_size;
    const ferry_side* source;
    const ferry_side* destination;
    /* NULL: every platform of a multi-arch image. Otherwise "os/arch[/variant]". */
    const char* platform;
    /* Further options, such as "retry-times"; a backend ignores keys it does not know. */
    const ferry_setting* settings;
    size_t setting_count;
} ferry_copy_request;

/* Filled by a backend's copy. The host zeroes it and sets struct_size to its own size. */
typedef struct ferry_copy_result {
    uint32_t struct_size;
    const char* digest;        /* manifest digest at the destination */
    const char* source_digest; /* manifest digest read from the source */
    const char* platforms;     /* copied platforms, comma-separated; "" for non-images */
    uint64_t bytes;            /* bytes of blobs transferred; 0 when unknown */
    int32_t up_to_date;        /* 1 when the destination already had the image */
} ferry_copy_result;

/* Function table of a copy backend. */
typedef struct ferry_backend_api {
    uint32_t struct_size;
    /* Creates an instance. settings are this plugin's --plugin-option values. On failure it
       calls host->set_error and returns a status; *instance is left NULL. */
    int32_t (*create)(const ferry_host_api* host, const ferry_setting* settings,
                      size_t setting_count, void** instance);
    void (*destroy)(void* instance);
    int32_t (*copy)(void* instance, const ferry_copy_request* request,
                    ferry_copy_result* result);
    /* Reads the manifest digest that side->image names, without changing anything.
       *digest stays valid until the next call on the instance. */
    int32_t (*resolve_digest)(void* instance, const ferry_side* side, const ferry_setting* settings,
                              size_t setting_count, const char** digest);
    /* Optional (NULL, or absent in an older plugin): checks that the registry side->image->registry
       accepts side->credential, as `ferry login` needs before it stores them. side->image->repository
       may be NULL. FERRY_OK when accepted; FERRY_ERROR with a message when rejected. */
    int32_t (*check_credentials)(void* instance, const ferry_side* side, const ferry_setting* settings,
                                 size_t setting_count);
} ferry_backend_api;

/* What a credential source is asked about. */
typedef struct ferry_credential_query {
    uint32_t struct_size;
    int32_t role;           /* ferry_side_role */
    const char* registry;   /* "registry.example.com:5000", "docker.io" */
    const char* repository; /* "team/app"; NULL when unknown */
} ferry_credential_query;

/* Function table of a credential source. */
typedef struct ferry_credential_api {
    uint32_t struct_size;
    int32_t (*create)(const ferry_host_api* host, const ferry_setting* settings,
                      size_t setting_count, void** instance);
    void (*destroy)(void* instance);
    /* FERRY_OK and a filled *credential when found, FERRY_NOT_FOUND when nothing is stored,
       an error status when the source failed. Strings stay valid until the next call on the
       instance. */
    int32_t (*lookup)(void* instance, const ferry_credential_query* query,
                      ferry_credential* credential);
    /* Optional (NULL when the source is read-only): save or delete credentials for a registry. */
    int32_t (*store)(void* instance, const char* registry, const ferry_credential* credential);
    int32_t (*erase)(void* instance, const char* registry);
} ferry_credential_api;

/* What FERRY_PLUGIN_ENTRY_SYMBOL returns. abi_version must stay the first field in every
   ABI version, so that a host can read it from any plugin. */
typedef struct ferry_plugin_descriptor {
    uint32_t abi_version;
    uint32_t struct_size;
    int32_t kind;            /* ferry_plugin_kind */
    const char* name;        /* lowercase, [a-z0-9-]; what --backend and --creds-from name */
    const char* version;     /* the plugin's own version */
    const char* description; /* one line for `ferry plugins` */
    /* const ferry_backend_api* when kind is FERRY_PLUGIN_BACKEND,
       const ferry_credential_api* when kind is FERRY_PLUGIN_CREDENTIAL_SOURCE. */
    const void* api;
} ferry_plugin_descriptor;

typedef const ferry_plugin_descriptor* (*ferry_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* FERRY_PLUGIN_H */
