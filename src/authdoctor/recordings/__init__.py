"""The recordings' face: reading .mitm and HAR files for offline analysis, and writing them
annotated and redacted. Both halves load here: the command line uses both, and the proxy, which
only writes, pays for reading just ijson (a few ms at start-up). Modules inside recordings/
import from their siblings, never from here."""

from authdoctor.recordings.reading import Judged
from authdoctor.recordings.reading import ReadReport
from authdoctor.recordings.reading import RecordingError
from authdoctor.recordings.reading import judge
from authdoctor.recordings.reading import read_flows
from authdoctor.recordings.writing import annotated
from authdoctor.recordings.writing import write_flows
from authdoctor.recordings.writing import write_har
from authdoctor.recordings.writing import write_redacted

__all__ = [
    "Judged",
    "ReadReport",
    "RecordingError",
    "annotated",
    "judge",
    "read_flows",
    "write_flows",
    "write_har",
    "write_redacted",
]
