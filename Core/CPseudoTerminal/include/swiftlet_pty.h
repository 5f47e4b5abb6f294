#ifndef SWIFTLET_PTY_H
#define SWIFTLET_PTY_H

#include <stddef.h>

/// Opens a new pseudo-terminal pair. On success returns the controlling descriptor (close-on-exec)
/// and writes the device path (e.g. /dev/pts/4) into `path`; on failure returns -1 with errno set.
int swiftlet_open_pty(char *path, size_t path_size);

#endif
