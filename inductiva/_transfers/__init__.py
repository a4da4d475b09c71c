"""The transfer engine: every byte that moves between the API and the disk.

Each operation is written once, as a flow (see :mod:`inductiva._http._flow`),
run by the blocking driver (``Task.download_outputs``: Ctrl-C and SIGTERM
interrupt it) and by the asyncio one (``Task.download_outputs_async``). The
task and CLI layers only run :func:`_download.download_flow` and
:func:`_upload.upload_flow`::

    download_flow (_download: checks, lock, one retry budget)  upload_flow (_upload)
        |                 |                     |                 (zip input dir while
    whole archive     filenames=,           filenames=,            sending it, multipart,
        |             byte ranges           no ranges              re-sent if refused)
        v                 |                     |                       |
    _resume: one stream   v                     v                       |
    (Range/If-Range,  _directory ------> _subset (?filename= zips,      |
     bounded, verified (tail, central    staged, extracted;             |
     by _pipe thread)   directory)       _listing: output/list)         |
        |   \\             |                                            |
        |  _parallel      v                                             |
        |  (probe, gather _members (ranges bounded, parsed in a         |
        |   of ranges;    _pipe thread into staged files)               |
        |   _ranges:          |                                         |
        |   plan, writes)     |                                         |
        v                     v                                         |
    _part: .part + sidecar,   _zipstream: local headers, bounded        |
    ONE resume model          inflate, CRC/size (StreamVerifier)        |
    (prefix or ranges)        _remote_zip: directory records, plans     |
        |                                                               |
        v                                                               |
    _extract: safe names, limits (_limits), staged extraction           |
    _keep: what a failure keeps; _workspace: .inductiva/, the lock      |
                                                                        |
    _progress: tqdm bars on stderr <------------------------------------'

Every request goes through the run's client (one pool, one retry budget per
call, errors mapped to :mod:`inductiva.errors`); blocking disk work runs
through ``offload`` (in a worker thread under asyncio).
"""
