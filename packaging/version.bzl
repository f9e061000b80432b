"""The release version, known at analysis time (tarball file names need it).

Must equal //:VERSION; the packaging action fails with a message if not.
"""

TCH_VERSION = "0.1.0"
