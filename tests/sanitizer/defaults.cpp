// Sanitizer settings compiled into every executable of a sanitizer build (-DSAFER_SANITIZE=ON or
// -DSAFER_FUZZ=ON), so ctest, tools/test, tools/fuzz and a hand-run binary behave alike: any
// report stops the process with a non-zero status and a stack trace. ASAN_OPTIONS,
// UBSAN_OPTIONS and LSAN_OPTIONS in the environment still override these.
// NOLINTBEGIN(readability-identifier-naming): the names are the sanitizers' hooks.
extern "C" {
__attribute__((used, visibility("default"))) const char* __asan_default_options() {
    return "detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1";
}
__attribute__((used, visibility("default"))) const char* __ubsan_default_options() {
    return "halt_on_error=1:print_stacktrace=1";
}
// Leaks that are not ours: see tests/sanitizer/README.md for why each is here.
__attribute__((used, visibility("default"))) const char* __lsan_default_suppressions() {
    return "";
}
}
// NOLINTEND(readability-identifier-naming)
