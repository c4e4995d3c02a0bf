#ifndef MEDIACACHE_CFILESYSTEM_SHIM_H
#define MEDIACACHE_CFILESYSTEM_SHIM_H
/* Extended attributes, which Swift's Glibc module does not bring in
   (see EntryMetadata.swift). Nothing here may define feature macros such as
   _GNU_SOURCE: the system headers would then differ from the Glibc module's
   view of them, and a clean build fails. */
#ifdef __linux__
#include <sys/xattr.h>
#endif
#endif
