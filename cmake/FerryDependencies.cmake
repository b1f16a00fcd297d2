# Every dependency comes from a Debian 12 package; nothing is downloaded at build time.
#   libboost-dev libboost-filesystem-dev  Boost.DLL (header-only) and Boost.Filesystem
#   libcli11-dev                          CLI11
#   nlohmann-json3-dev                    nlohmann/json
#   libcurl4-openssl-dev                  libcurl
#   libssl-dev                            OpenSSL (SHA-256)
#   libsecret-1-dev                       libsecret (keyring credential source)
#   libgtest-dev libgmock-dev             GoogleTest (tests only)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBSECRET IMPORTED_TARGET libsecret-1)
