"""The `authdoctor` command line. Its face is the command itself (the console script
authdoctor.cli.main:main), so this package re-exports nothing: a `main` here would hide the
module of that name, as in mitmproxy, whose tools package is empty and whose scripts point
at mitmproxy.tools.main."""
