// Removes known secret values from text before it reaches a message or a log.
#pragma once

#include <ferry/sdk.hpp>

#include <string>
#include <vector>

namespace ferry::vault {

// Messages are built from Vault's own error texts, which could echo what a request sent.
// Every secret the source handles is registered here, and every message passes through
// redact() on its way out.
class Redactor {
public:
    void remember(const sdk::Secret& secret);
    std::string redact(std::string text) const;

private:
    std::vector<sdk::Secret> secrets_;
};

} // namespace ferry::vault
