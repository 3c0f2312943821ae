#ifndef LOGDASH_CSQLITE_SHIM_H
#define LOGDASH_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
