#pragma once
// Output conventions shared by every command: messages for people go to stderr, data to stdout.
// Errors read "error: ...", warnings "warning: ...". -q keeps only errors and warnings; -v adds
// details. Colour only on terminals, never with NO_COLOR (https://no-color.org) or --no-color.
#include <string>
#include <string_view>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11 names its namespace
class App;
}

namespace ktape::cli {

enum class Verbosity { quiet, normal, verbose };

// Adds -q/--quiet, -v/--verbose and --no-color to the top-level app; subcommands accept them too
// (they fall through), so `ktape replay -q ...` and `ktape -q replay ...` mean the same.
void add_output_flags(CLI::App& app);

Verbosity verbosity();
bool quiet();    // -q given: print only errors and warnings
bool verbose();  // -v given: print details too

// Whether to colour what goes to `fd`: it is a terminal, NO_COLOR is unset or empty, TERM is not
// "dumb", and --no-color was not given.
bool use_color(int fd);

// Wraps `text` in the ANSI colour `sgr` ("31" red, "32" green, "33" yellow, "1" bold) when
// use_color(fd); otherwise returns it unchanged.
std::string paint(int fd, std::string_view sgr, std::string_view text);

// A unified diff coloured as git colours one (- red, + green, @@ cyan) when use_color(fd).
std::string paint_diff(int fd, const std::string& unified);

// "error: MESSAGE" / "warning: MESSAGE" on stderr, one line (a trailing newline is added).
void print_error(std::string_view message);
void print_warning(std::string_view message);

// A line for people on stderr, left out with -q.
void print_info(std::string_view message);

}  // namespace ktape::cli
