// Entry point of ferry-keyring.so.
#include "keyring_source.hpp"

FERRY_CREDENTIAL_PLUGIN(ferry::keyring::KeyringSource, "keyring", "0.1.0",
                        "Registry credentials in the Secret Service keyring (gnome-keyring), "
                        "including docker-credential-secretservice entries")
