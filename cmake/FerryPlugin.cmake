# ferry_add_plugin(NAME SOURCES...)
# Builds one plugin as a MODULE library named ferry-<NAME>.so with hidden visibility, so that
# only the entry point declared with FERRY_PLUGIN_EXPORT leaves the library, and installs it
# into the plugin directory that bin/ferry searches.
function(ferry_add_plugin name)
    set(target "ferry-plugin-${name}")
    add_library(${target} MODULE ${ARGN})
    target_link_libraries(${target} PRIVATE ferry::sdk ferry_warnings)
    set_target_properties(${target} PROPERTIES
        OUTPUT_NAME "ferry-${name}"
        PREFIX ""
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON
        LIBRARY_OUTPUT_DIRECTORY "${FERRY_PLUGIN_OUTPUT_DIR}")
    target_link_options(${target} PRIVATE -Wl,--no-undefined
        "-Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/ferry-plugin.map")
    install(TARGETS ${target} LIBRARY DESTINATION "${FERRY_PLUGIN_INSTALL_DIR}" COMPONENT runtime)
endfunction()
