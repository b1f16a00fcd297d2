# Warning flags shared by every ferry target, kept in one INTERFACE target.
add_library(ferry_warnings INTERFACE)
target_compile_options(ferry_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wformat=2
    -Wimplicit-fallthrough -Wcast-align)
