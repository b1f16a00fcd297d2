// `ferry copy SRC DST`.
#include "commands.hpp"
#include "credential_options.hpp"

#include <ferry/core/byte_size.hpp>
#include <ferry/core/copy_job.hpp>
#include <ferry/core/credential_chain.hpp>
#include <ferry/core/errors.hpp>
#include <ferry/core/log.hpp>
#include <ferry/core/progress.hpp>
#include <ferry/core/reference.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fstream>
#include <iostream>

namespace ferry::cli {
namespace {


struct CopyCommandOptions {
    std::string source;
    std::string destination;
    std::string backends = default_backends;
    CredentialOptions credentials;
    bool src_tls_verify = true;
    bool dest_tls_verify = true;
    std::string src_cert_dir;
    std::string dest_cert_dir;
    std::string platform;
    bool all = false;
    std::string digestfile;
    std::string format = "text";
    int retry_times = 3;
    int jobs = 0;
    double timeout = 0;
    double stall_timeout = 60;
    double retry_delay = 0.5;
    double deadline = 0;
    bool force_http1 = false;
    std::string upload_chunk_size;
    bool force = false;
};

// CLI::Range prints its bounds as "0.000000" and calls a non-number out of range, so seconds
// get a check of their own.
CLI::Validator seconds_between(double low, double high) {
    auto text_of = [](double value) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", value);
        return std::string(buffer);
    };
    const std::string expected = "expected seconds from " + text_of(low) + " to " + text_of(high);
    return CLI::Validator(
        [low, high, expected](std::string& text) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(text, value) || !(value >= low && value <= high)) {
                return expected + ", got \"" + text + "\"";
            }
            return {};
        },
        "");
}

// Checks before any network traffic that the digest file can be written, so a copy is not pushed
// only to fail at the end. It opens the file as the final write will; a new file is created and
// removed again.
void check_digestfile(const std::string& path) {
    auto fail = [&path](const std::string& reason) {
        throw core::UsageError("--digestfile " + path + ": " + reason);
    };

    struct stat status {};
    if (::stat(path.c_str(), &status) == 0) {
        if (S_ISDIR(status.st_mode)) {
            fail("is a directory; name a file");
        }
        const int file = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (file < 0) {
            fail(std::string("cannot be written (") + std::strerror(errno) + ")");
        }
        ::close(file);
        return;
    }
    if (errno != ENOENT) {
        fail(std::strerror(errno));
    }

    const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (file < 0) {
        fail(std::string("cannot be created (") + std::strerror(errno) + ")");
    }
    ::close(file);
    ::unlink(path.c_str());
}

void write_digestfile(const std::string& path, const std::string& digest) {
    std::FILE* file = std::fopen(path.c_str(), "w");
    bool written = file != nullptr && std::fputs(digest.c_str(), file) >= 0;
    int error = errno;
    if (file != nullptr && std::fclose(file) != 0 && written) {
        written = false;
        error = errno;
    }
    if (!written) {
        throw core::CopyError("the image was copied (" + digest + "), but writing --digestfile " + path +
                              " failed: " + std::strerror(error));
    }
}

using core::format_bytes;

void print_report(const core::CopyReport& report, const std::string& format) {
    if (format == "json") {
        nlohmann::json result = {
            {"source", report.source},
            {"destination", report.destination},
            {"digest", report.digest},
            {"source_digest", report.source_digest},
            {"backend", report.backend},
            {"platforms", report.platforms},
            {"bytes", report.bytes},
            {"seconds", report.seconds},
            {"up_to_date", report.up_to_date},
            {"source_credentials", report.source_credentials},
            {"destination_credentials", report.destination_credentials},
        };
        std::cout << result.dump() << std::endl;
        return;
    }

    std::string platforms;
    for (const auto& platform : report.platforms) {
        platforms += (platforms.empty() ? "" : ", ") + platform;
    }
    std::cout << (report.up_to_date ? "Already up to date: " : "Copied ") << report.source << " -> "
              << report.destination << "\n"
              << "Digest: " << report.digest << "\n";
    if (!platforms.empty()) {
        std::cout << "Platforms: " << platforms << "\n";
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", report.seconds);
    // A backend that cannot count what it moved (skopeo) reports 0 bytes.
    std::string bytes = report.bytes == 0 ? "" : format_bytes(report.bytes) + ", ";
    std::cout << "Backend: " << report.backend << ", " << bytes << seconds << " s" << std::endl;
}

core::CopyOptions to_copy_options(const GlobalOptions& global, const CopyCommandOptions& options) {
    core::CopyOptions copy;
    copy.source.reference = options.source;
    copy.destination.reference = options.destination;
    copy.source.tls_verify = options.src_tls_verify;
    copy.destination.tls_verify = options.dest_tls_verify;
    copy.source.cert_dir = options.src_cert_dir;
    copy.destination.cert_dir = options.dest_cert_dir;
    copy.source.creds_from = creds_from_for(options.credentials, options.credentials.source);
    copy.destination.creds_from = creds_from_for(options.credentials, options.credentials.destination);
    copy.backends = core::parse_name_list(options.backends, "--backend");
    copy.platform = options.platform;
    if (options.all && !options.platform.empty()) {
        throw core::UsageError("--all and --platform contradict each other: give one");
    }

    if (options.force) {
        copy.copy_settings["force"] = "true";
    }
    copy.copy_settings["retry-times"] = std::to_string(options.retry_times);
    if (options.jobs > 0) {
        copy.copy_settings["jobs"] = std::to_string(options.jobs);
    }
    copy.copy_settings["timeout"] = std::to_string(options.timeout);
    copy.copy_settings["stall-timeout"] = std::to_string(options.stall_timeout);
    copy.copy_settings["retry-delay"] = std::to_string(options.retry_delay);
    copy.copy_settings["deadline"] = std::to_string(options.deadline);
    if (options.force_http1) {
        copy.copy_settings["force-http1"] = "true";
    }
    if (!options.upload_chunk_size.empty()) {
        const auto bytes = core::parse_byte_size(options.upload_chunk_size, "--upload-chunk-size");
        if (bytes != 0 && bytes < 1024 * 1024) {
            throw core::UsageError("--upload-chunk-size " + options.upload_chunk_size +
                                   ": use 0 (one request per blob) or at least 1MiB");
        }
        copy.copy_settings["upload-chunk-size"] = std::to_string(bytes);
    }
    copy.plugin_settings = build_plugin_settings(global, options.credentials);
    return copy;
}

int copy_and_report(const GlobalOptions& global, const CopyCommandOptions& options) {
    core::CopyOptions copy = to_copy_options(global, options);
    if (!options.digestfile.empty()) {
        check_digestfile(options.digestfile);
    }
    auto host = load_plugins(global);

    core::CopyReport report = core::run_copy(*host, copy);
    if (report.up_to_date) {
        core::log_info(report.destination + " already has " + report.digest + "; nothing to copy");
    }

    if (!options.digestfile.empty()) {
        write_digestfile(options.digestfile, report.digest);
    }
    print_report(report, options.format);
    return core::exit_ok;
}

// With --format json a failure is one JSON object too, so scripts always get something to parse.
int run_copy_command(const GlobalOptions& global, const CopyCommandOptions& options) {
    try {
        return copy_and_report(global, options);
    } catch (const std::exception& error) {
        if (options.format == "json") {
            bool usage = dynamic_cast<const core::UsageError*>(&error) != nullptr ||
                         dynamic_cast<const std::invalid_argument*>(&error) != nullptr;
            nlohmann::json result = {{"source", core::without_credentials(options.source)},
                                     {"destination", core::without_credentials(options.destination)},
                                     {"error", core::Logger::instance().redact(error.what())},
                                     {"exit_code", usage ? core::exit_usage : core::exit_failed}};
            std::cout << result.dump() << std::endl;
        }
        throw;
    }
}

} // namespace

CommandRunner add_copy_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<CopyCommandOptions>();
    CLI::App* command = app.add_subcommand("copy", "Copy an image, with all its platforms, from SRC to DST");
    command->footer(
        "References: docker://HOST[:PORT]/REPO[:TAG|@DIGEST], oci:PATH[:REF], or HOST/REPO:TAG without\n"
        "a transport (a registry reference; `alpine` means docker.io/library/alpine:latest).\n\n"
        "Credentials: the `input` source reads --src-creds/--dest-creds, --*-username with --*-password or\n"
        "--*-password-stdin, and the environment variables FERRY_SRC_CREDS, FERRY_SRC_USERNAME,\n"
        "FERRY_SRC_PASSWORD, FERRY_DEST_CREDS, FERRY_DEST_USERNAME, FERRY_DEST_PASSWORD. A password given\n"
        "as an option is visible to other local users; use standard input or the environment instead.\n\n"
        "Examples:\n"
        "  ferry copy alpine:3.20 registry.example.com/mirror/alpine:3.20\n"
        "  printf '%s' \"$TOKEN\" | ferry copy --dest-username ci --dest-password-stdin \\\n"
        "      docker://ghcr.io/team/app:1.2 docker://registry.cn-hangzhou.aliyuncs.com/team/app:1.2\n"
        "  ferry copy --platform linux/arm64 --format json docker://src/app:1 oci:/tmp/app-layout:1");

    command->add_option("SRC", options->source, "Image to copy")->required();
    command->add_option("DST", options->destination, "Where to copy it")->required();
    command->add_option("--backend", options->backends,
                        std::string("Copy backends tried in order; the next one only when the previous cannot do "
                                    "the copy (default ") + default_backends + ")")
        ->type_name("NAME[,NAME...]");
    add_credential_options(*command, options->credentials);

    command->add_flag("--src-tls-verify", options->src_tls_verify,
                      "Verify the source registry's TLS certificate (default true); false also allows plain HTTP")
        ->group("TLS");
    command->add_flag("--dest-tls-verify", options->dest_tls_verify,
                      "Verify the destination registry's TLS certificate (default true); false also allows plain HTTP")
        ->group("TLS");
    command->add_option("--src-cert-dir", options->src_cert_dir,
                        "Directory with CA certificates (*.crt) and a client pair (*.cert, *.key) for the source")
        ->group("TLS")->type_name("DIR")->check(CLI::ExistingDirectory.description(""));
    command->add_option("--dest-cert-dir", options->dest_cert_dir,
                        "Directory with CA certificates (*.crt) and a client pair (*.cert, *.key) for the destination")
        ->group("TLS")->type_name("DIR")->check(CLI::ExistingDirectory.description(""));

    command->add_option("--platform", options->platform,
                        "Copy only this platform of a multi-arch image (default: every platform, keeping the index digest)")
        ->type_name("OS/ARCH[/VARIANT]");
    command->add_flag("--all", options->all, "Copy every platform; the default, accepted for skopeo compatibility");
    command->add_flag("--force", options->force,
                      "Copy even when the destination tag already names the source digest: every blob is "
                      "checked again and the manifests are written again, which repairs a destination that "
                      "lost blobs");
    command->add_option("--digestfile", options->digestfile, "Write the destination manifest digest to FILE")
        ->type_name("FILE")
        ->check(CLI::Validator(
            [](std::string& text) { return text.empty() ? std::string("name a file, not an empty string") : std::string(); },
            ""));
    command->add_option("--format", options->format,
                        "text (default) or json: one JSON object with source, destination, digest, backend, "
                        "platforms, bytes, seconds")
        ->type_name("FORMAT")->check(CLI::IsMember({"text", "json"}).description(""));
    command->add_option("--retry-times", options->retry_times, "Retries of a failed request, 0 to 100 (default 3)")
        ->group("Network")->type_name("N")->check(CLI::Range(0, 100).description(""));
    command->add_option("--jobs", options->jobs, "Blobs copied in parallel by the native backend, 1 to 64 (default 4)")
        ->group("Network")->type_name("N")->check(CLI::Range(1, 64).description(""));
    command->add_option("--timeout", options->timeout, "Seconds one request attempt may take; 0 means no limit (default 0)")
        ->group("Network")->type_name("SECONDS")->check(seconds_between(0, 86400));
    command->add_option("--stall-timeout", options->stall_timeout,
                        "Seconds without any byte moved before an attempt is aborted (default 60)")
        ->group("Network")->type_name("SECONDS")->check(seconds_between(1, 86400));
    command->add_option("--retry-delay", options->retry_delay,
                        "Seconds before the first retry; each further retry doubles it, with random jitter, "
                        "up to 30 s, and a longer Retry-After from the registry wins (default 0.5)")
        ->group("Network")->type_name("SECONDS")->check(seconds_between(0, 3600));
    command->add_option("--deadline", options->deadline,
                        "Seconds the whole copy may take, retries included; 0 means no limit (default 0)")
        ->group("Network")->type_name("SECONDS")->check(seconds_between(0, 604800));
    command->add_option("--upload-chunk-size", options->upload_chunk_size,
                        "Upload blobs larger than SIZE in requests of SIZE, each on a connection that carried "
                        "at most SIZE, so links that cut long transfers break none; halved after a chunk "
                        "breaks; 0 sends each blob in one request. K, M and G mean KiB, MiB and GiB "
                        "(native backend, default 32MiB)")
        ->group("Network")->type_name("SIZE")
        ->check(CLI::Validator(
            [](std::string& text) { return text.empty() ? std::string("give a size such as 32MiB, or 0") : std::string(); },
            ""));
    command->add_flag("--force-http1", options->force_http1,
                      "Use HTTP/1.1 even where the registry offers HTTP/2 (native backend)")
        ->group("Network");

    return [&global, options] { return run_copy_command(global, *options); };
}

} // namespace ferry::cli
