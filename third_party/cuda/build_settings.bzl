"""Minimal command-line build settings (bazel_skylib is not available offline)."""

TchFlagInfo = provider(
    doc = "The value of a tch command-line build setting.",
    fields = {"value": "the flag's value"},
)

def _flag_impl(ctx):
    return [TchFlagInfo(value = ctx.build_setting_value)]

bool_flag = rule(
    implementation = _flag_impl,
    build_setting = config.bool(flag = True),
    doc = "A boolean flag, set with --<label>=true|false.",
)

string_flag = rule(
    implementation = _flag_impl,
    build_setting = config.string(flag = True),
    doc = "A string flag, set with --<label>=value.",
)
