#ifndef MEDIACACHE_CFILESYSTEM_SHIM_H
#define MEDIACACHE_CFILESYSTEM_SHIM_H
/* Linux file-system calls that Swift's Glibc module does not bring in:
   extended attributes, and O_TMPFILE (a macro Swift cannot import).
   See AtomicWriter.swift and EntryMetadata.swift. */
#ifdef __linux__
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <fcntl.h>
#include <sys/xattr.h>

/* Flags for an unnamed temp file in a directory, or 0 where the C library has none. */
static inline int mediacache_o_tmpfile(void) {
#ifdef O_TMPFILE
    return O_TMPFILE;
#else
    return 0;
#endif
}
#endif
#endif
