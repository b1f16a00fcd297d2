# CPack: a Debian package and a .tar.gz of the install tree.
#
#   cmake --build BUILD --target package      # or: cd BUILD && cpack -G DEB
#
# Both packages contain both install components, `runtime` (bin/ferry and lib/ferry/plugins)
# and `sdk` (headers and the CMake package). The .deb installs under /usr, the DEB generator's
# default prefix; the .tar.gz has bin/, lib/ and include/ at its top. The .deb's Depends line
# comes from dpkg-shlibdeps, which reads the libraries that ferry and every plugin link. The
# list below is the fallback when dpkg-shlibdeps is missing (a build outside Debian).
include_guard()

set(CPACK_PACKAGE_NAME "ferry")
set(CPACK_PACKAGE_VENDOR "ferry")
set(CPACK_PACKAGE_CONTACT "ferry maintainers <ferry@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "ferry copies container images, with every platform of a multi-arch image, between\n"
    "registries over slow and lossy links. Copy backends (skopeo, native) and credential\n"
    "sources (input, docker-config, keyring, vault) are plugins loaded at run time.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "ferry")
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_SOURCE_GENERATOR "")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL runtime sdk)
set(CPACK_PACKAGE_FILE_NAME "ferry-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")

# One archive and one .deb with both components.
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_RELEASE "1")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "skopeo")

find_program(FERRY_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(FERRY_DPKG_SHLIBDEPS)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
    # The plugins live in a private directory, which dpkg-shlibdeps does not search by itself.
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${FERRY_PLUGIN_OUTPUT_DIR}")
else()
    # Debian 12 names of the libraries that ferry and its plugins link.
    set(CPACK_DEBIAN_PACKAGE_DEPENDS
        "libc6, libstdc++6, libgcc-s1, libcurl4, libssl3, libboost-filesystem1.74.0, libsecret-1-0, libglib2.0-0")
endif()

include(CPack)

cpack_add_component(runtime
    DISPLAY_NAME "ferry"
    DESCRIPTION "The ferry command and its plugins")
cpack_add_component(sdk
    DISPLAY_NAME "Plugin SDK"
    DESCRIPTION "Headers and CMake package for building ferry plugins"
    DEPENDS runtime)
