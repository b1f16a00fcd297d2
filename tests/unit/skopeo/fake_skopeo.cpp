#include "fake_skopeo.hpp"

#include "manifest.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ferry::skopeo::testing {

namespace fs = std::filesystem;

namespace {

// Each call stores its argv, environment and auth files under calls/<n>/, NUL-separated.
const char* const kScript = R"SCRIPT(#!/bin/bash
set -u
dir=__DIR__
n=$(ls "$dir/calls" | wc -l)
call="$dir/calls/$n"
mkdir -p "$call"
printf '%s\0' "$@" > "$call/argv"
env -0 > "$call/env"

args=("$@")
subcommand=""
image=""
digestfile=""
config=0
auth_index=0
for ((i = 0; i < ${#args[@]}; i++)); do
  arg=${args[$i]}
  case "$arg" in
    --version) subcommand=--version ;;
    copy|inspect) [ -z "$subcommand" ] && subcommand=$arg ;;
    --config) config=1 ;;
    --digestfile) digestfile=${args[$((i + 1))]} ;;
    --authfile|--src-authfile|--dest-authfile)
      file=${args[$((i + 1))]}
      stat -L -c %a "$file" > "$call/auth-mode-$auth_index"
      cat "$file" > "$call/auth-content-$auth_index"
      auth_index=$((auth_index + 1)) ;;
  esac
  image=$arg
done

key() { printf '%s' "$1" | sha256sum | cut -c1-16; }

case "$subcommand" in
  --version)
    echo "skopeo version $(cat "$dir/version")"
    ;;
  inspect)
    if [ $config = 1 ]; then
      file="$dir/config-$(key "$image")"
    else
      file="$dir/manifest-$(key "$image")"
    fi
    if [ ! -f "$file" ]; then
      echo "time=\"2024-01-01T00:00:00Z\" level=fatal msg=\"Error parsing image name \\\"$image\\\": reading manifest v1: manifest unknown: manifest unknown\"" >&2
      exit 1
    fi
    cat "$file"
    ;;
  copy)
    if [ -f "$dir/copy-block" ]; then
      sleep 600 &
      echo "$$ $!" > "$dir/copy-pids"
      touch "$dir/copy-started"
      wait
      exit 0
    fi
    if [ -f "$dir/copy-stderr" ]; then
      cat "$dir/copy-stderr" >&2
      exit "$(cat "$dir/copy-status")"
    fi
    printf '%s' "$(cat "$dir/copy-digest")" > "$digestfile"
    ;;
  *)
    echo "fake skopeo: unexpected arguments: $*" >&2
    exit 2
    ;;
esac
)SCRIPT";

// Matches key() in the script: the first 16 hex digits of the SHA-256 of the name.
std::string image_key(const std::string& image) { return sha256_digest(image).substr(7, 16); }

std::vector<std::string> split_nul(const std::string& text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\0', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

} // namespace

ScratchDirectory::ScratchDirectory(const std::string& prefix) {
    std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::vector<std::string> ScratchDirectory::entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_text(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream content;
    content << file.rdbuf();
    return content.str();
}

void write_text(const fs::path& path, const std::string& content) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << content;
    if (!file) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

bool FakeCall::has(const std::string& argument) const {
    return std::find(argv.begin(), argv.end(), argument) != argv.end();
}

std::string FakeCall::subcommand() const {
    for (const std::string& argument : argv) {
        if (argument == "copy" || argument == "inspect" || argument == "--version") {
            return argument;
        }
    }
    return std::string();
}

FakeSkopeo::FakeSkopeo() : directory_("ferry-fake-skopeo") {
    std::string script = kScript;
    const std::string marker = "__DIR__";
    script.replace(script.find(marker), marker.size(), "'" + directory_.path().string() + "'");
    write_text(path(), script);
    fs::permissions(path(), fs::perms::owner_all);
    fs::create_directory(directory_.path() / "calls");
    set_version("1.9.3");
}

void FakeSkopeo::set_version(const std::string& version) {
    write_text(directory_.path() / "version", version);
}

void FakeSkopeo::set_manifest(const std::string& image, const std::string& manifest) {
    write_text(directory_.path() / ("manifest-" + image_key(image)), manifest);
}

void FakeSkopeo::set_config(const std::string& image, const std::string& config) {
    write_text(directory_.path() / ("config-" + image_key(image)), config);
}

void FakeSkopeo::set_copy_digest(const std::string& digest) {
    write_text(directory_.path() / "copy-digest", digest);
}

void FakeSkopeo::fail_copy(const std::string& stderr_text, int status) {
    write_text(directory_.path() / "copy-stderr", stderr_text);
    write_text(directory_.path() / "copy-status", std::to_string(status));
}

void FakeSkopeo::block_copy() { write_text(directory_.path() / "copy-block", ""); }

bool FakeSkopeo::copy_started() const { return fs::exists(directory_.path() / "copy-started"); }

std::vector<int> FakeSkopeo::copy_pids() const {
    std::istringstream text(read_text(directory_.path() / "copy-pids"));
    std::vector<int> pids;
    int pid = 0;
    while (text >> pid) {
        pids.push_back(pid);
    }
    return pids;
}

std::vector<FakeCall> FakeSkopeo::calls() const {
    std::vector<FakeCall> calls;
    for (int n = 0; fs::exists(directory_.path() / "calls" / std::to_string(n)); ++n) {
        const fs::path call = directory_.path() / "calls" / std::to_string(n);
        FakeCall recorded;
        recorded.argv = split_nul(read_text(call / "argv"));
        recorded.environment = split_nul(read_text(call / "env"));
        for (int i = 0; fs::exists(call / ("auth-mode-" + std::to_string(i))); ++i) {
            std::string mode = read_text(call / ("auth-mode-" + std::to_string(i)));
            mode.erase(mode.find_last_not_of("\n") + 1);
            recorded.auth_modes.push_back(mode);
            recorded.auth_contents.push_back(read_text(call / ("auth-content-" + std::to_string(i))));
        }
        calls.push_back(std::move(recorded));
    }
    return calls;
}

TestHost::TestHost() {
    api.struct_size = sizeof(ferry_host_api);
    api.context = this;
    api.log = [](void* context, int32_t level, const char* message) {
        static_cast<TestHost*>(context)->logs.push_back(std::to_string(level) + " " + message);
    };
    api.set_error = [](void*, const char*) {};
    api.is_cancelled = [](void* context) -> int32_t {
        auto* self = static_cast<TestHost*>(context);
        if (!self->cancel_when_exists.empty() && fs::exists(self->cancel_when_exists)) {
            return 1;
        }
        return self->cancelled.load() ? 1 : 0;
    };
    api.progress = [](void*, const char*, uint64_t, uint64_t) {};
}

bool process_gone(int pid) {
    if (::kill(pid, 0) != 0) {
        return true;
    }
    // kill() still succeeds on an unreaped zombie, whose state letter in /proc/PID/stat is Z.
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) {
        return true; // exited between kill() and the read
    }
    const std::size_t close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

} // namespace ferry::skopeo::testing
