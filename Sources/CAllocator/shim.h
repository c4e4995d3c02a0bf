#ifndef MEDIACACHE_CALLOCATOR_SHIM_H
#define MEDIACACHE_CALLOCATOR_SHIM_H
/* glibc's mallopt, which Swift's Glibc module does not bring in (see
   AllocatorTuning.swift in the executable). As in CFileSystem, nothing here
   may define feature macros. */
#if defined(__linux__) && __has_include(<malloc.h>)
#include <malloc.h>
#endif
#endif
