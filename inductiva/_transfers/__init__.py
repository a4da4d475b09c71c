"""The transfer engine: every byte that moves between the API and the disk.

Like httpx's ``_transports/``, this package keeps the machinery that moves
data apart from the task and CLI layers, which only call
:func:`_download.download_outputs` and :func:`_upload.upload_input`::

    Task.download_outputs()                          Task / simulate()
            |                                               |
            v                                               v
      _download ----------------------------.          _upload  (zip input dir,
      (lock, limits, output dir,            |          stream multipart, retry
       .inductiva/ workspace)               |          429/503 from the start)
       |            |               |       |               |
   whole archive  filenames=,     filenames=, no ranges     |
       |          byte ranges           |                   |
       v            v                   v                   |
    _resume      _remote_zip -------> _subset               |
    (.part +     (tail, central       (?filename= zip,      |
     sidecar,     directory, plan      staged, extracted)   |
     Range/       of merged ranges)          |              |
     If-Range)      |                        |              |
       |            v                        |              |
       |         _members                    |              |
       |         (fetch ranges, write        |              |
       |          staged members)            |              |
       |            |                        |              |
       v            v                        v              |
    _zipstream: local headers, bounded inflate, CRC/size    |
       |         (StreamVerifier while downloading)         |
       v                                                    |
    _extract: safe names, limits (size, ratio, free space), |
              staged extraction, move into place            |
       |  _cdir: central directory held compactly           |
       |  _safenames: name checks, duplicates, symlinks     |
       |  _select: files chosen by name in one pass         |
       v                                                    v
    _unzip: one pass over a local zip,             _zipwrite: the zip as a stream
            workers inflate, check, write          _zipplan: walk, records (arrays)
                                                   _deflate: ISA-L deflate in threads
                                                   _segments: kept bytes, given back
                                                            |
    _progress: tqdm bars on stderr <------------------------'
                (every stage above draws through it)

Everything goes through :mod:`inductiva._client` (one pool, one retry budget
per call, errors mapped to :mod:`inductiva.errors`).
"""
