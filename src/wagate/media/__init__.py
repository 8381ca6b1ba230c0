"""The media pipeline: fetch, check, convert and store the files messages carry.

Nothing here knows about HTTP routes or engines; the messaging service glues it
together. Every object is built explicitly (no module-level state):

* :class:`MediaFetcher` downloads a user's URL with an SSRF guard and a size cap;
  :func:`decode_base64` decodes inline files (plain base64 or ``data:`` URIs).
* :func:`sniff` tells the real type from the bytes; :func:`require_kind` refuses a
  file that does not fit the route.
* :class:`Ffmpeg` probes and converts (voice notes, H.264 MP4, thumbnails) with the
  bundled ffmpeg binary, a bounded number of processes at a time.
* :class:`MediaStore` keeps received files on disk for a while.
"""

from wagate.media.fetch import Fetched, MediaFetcher, data_uri_mimetype, decode_base64
from wagate.media.ffmpeg import Ffmpeg, Probe
from wagate.media.sniff import require_kind, sniff
from wagate.media.storage import MediaStore, StoredMedia

__all__ = [
    "Fetched",
    "Ffmpeg",
    "MediaFetcher",
    "MediaStore",
    "Probe",
    "StoredMedia",
    "data_uri_mimetype",
    "decode_base64",
    "require_kind",
    "sniff",
]
