#ifndef MEDIACACHE_CFILESYSTEM_SHIM_H
#define MEDIACACHE_CFILESYSTEM_SHIM_H
/* Extended attributes and statx, which Swift's Glibc module does not bring in
   (see EntryMetadata.swift and FileIdentity.swift). Nothing here may define
   feature macros such as _GNU_SOURCE: the system headers would then differ
   from the Glibc module's view of them, and a clean build fails. So statx
   comes from the kernel's own header and is called through syscall(2). */
#ifdef __linux__
#include <sys/xattr.h>
#include <linux/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* statx(2): the birth time, which struct stat does not carry. */
static inline int mc_statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buffer) {
    return (int)syscall(SYS_statx, dirfd, path, flags, mask, buffer);
}
#endif
#endif
