"""The addon's options and what they load (profiles, rules), the same for the proxy and the
offline commands; modules outside config import these names from here."""

from authdoctor.config.configuration import add_analysis_options
from authdoctor.config.configuration import configuration_from_args
from authdoctor.config.configuration import load_configuration
from authdoctor.config.options import OPTIONS
from authdoctor.config.options import OptionError
from authdoctor.config.options import ParsedOptions
from authdoctor.config.options import default_values
from authdoctor.config.options import parse_options

__all__ = [
    "OPTIONS",
    "OptionError",
    "ParsedOptions",
    "add_analysis_options",
    "configuration_from_args",
    "default_values",
    "load_configuration",
    "parse_options",
]
