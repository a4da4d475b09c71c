r"""The transfer engine: every byte that moves between the API and the disk.

Each operation is written once, as a flow (see :mod:`inductiva._http._flow`),
run by the blocking driver (``Task.download_outputs``: Ctrl-C and SIGTERM
interrupt it) and by the asyncio one (``Task.download_outputs_async``). The
task and CLI layers only run :func:`_download.download_flow` and
:func:`_upload.upload_flow`::

    download_flow (_download: checks, lock, one retry budget)  upload_flow (_upload)
        |                 |                     |                 (the input zip built
    whole archive     filenames=,           filenames=,            while it is sent,
        |             byte ranges           no ranges              multipart, re-sent
        v                 |                     |                  if refused)
    _resume: one stream   v                     v                       |
    (Range/If-Range,  _directory ------> _subset (?filename= zips,      |
     bounded, verified (tail, central    staged, extracted;        _zipwrite: the zip
     by _pipe thread)   directory)       _listing: output/list)    as a stream
        |   \             |                    |                  _zipplan: walk,
        |  _parallel      v              _select: files chosen     records (arrays)
        |  (probe, gather _members        by name in one pass      _deflate: ISA-L
        |   of ranges;    (ranges bounded,                         deflate in threads
        |   _ranges:       parsed in a _pipe thread                _segments: kept
        |   plan, writes)  into staged files)                      bytes, given back
        v                     |                                         |
    _part: .part + sidecar,   _zipstream: local headers, bounded        |
    ONE resume model          inflate, CRC/size (StreamVerifier)        |
    (prefix or ranges)        _remote_zip + _cdir: the directory,       |
        |                     held compactly; range plans               |
        v                                                               |
    _extract: limits (_limits), staged extraction, moved into place     |
    _unzip: one pass over a local zip, workers inflate, check, write    |
    _safenames: names, duplicates, symlinks                             |
    _keep: what a failure keeps; _workspace: .inductiva/, the lock      |
                                                                        |
    _progress: tqdm bars on stderr <------------------------------------'

Every request goes through the run's client (one pool, one retry budget per
call, errors mapped to :mod:`inductiva.errors`); blocking disk work runs
through ``offload`` (in a worker thread under asyncio).
"""
